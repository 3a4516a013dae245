// A live blog's updates, refreshed every few seconds without reloading the page: the list is fetched on its own
// (revalidated, so unchanged it costs a 304) and what changed in it is brought in. Each update carries a digest of
// its markup as the server made it (data-sum, templates/live/updates.html): one whose digest is the same stays the
// very element the reader has, so a video playing in it plays on and a gallery stays at its picture. Without this
// script, a reload shows the same (templates/live/coverage.html).
const section = document.querySelector("section.live[data-live-refresh]");
if (section) {
  const every = Math.max(Number(section.dataset.liveEvery) || 10, 2) * 1000;
  const status = section.querySelector(".live__status");
  const list = section.querySelector(".live-updates");
  const keyOf = (item) => item.id || item.className;
  let lastResponse = null;
  let asked = 0;

  // Moving an element that holds a playing frame reloads the frame, except with moveBefore where there is one.
  const place = (item, before) =>
    item.isConnected && list.moveBefore ? list.moveBefore(item, before) : list.insertBefore(item, before);

  const merge = (fresh) => {
    const wanted = [...fresh.children];
    const keys = new Set(wanted.map(keyOf));
    const current = new Map();
    for (const item of [...list.children]) {
      if (keys.has(keyOf(item))) current.set(keyOf(item), item);
      else item.remove();
    }
    let added = 0;
    let cursor = list.firstElementChild;
    for (const freshItem of wanted) {
      let item = current.get(keyOf(freshItem));
      if (!item || item.dataset.sum !== freshItem.dataset.sum) {
        const replacement = document.adoptNode(freshItem);
        if (item) {
          if (cursor === item) cursor = replacement;
          item.replaceWith(replacement);
        } else if (freshItem.id) added += 1;
        item = replacement;
      }
      if (item === cursor) cursor = cursor.nextElementSibling;
      else place(item, cursor);
    }
    list.dataset.liveVersion = fresh.dataset.liveVersion;
    return added;
  };

  const refresh = async () => {
    if (document.hidden) return;
    const ticket = ++asked;
    try {
      const response = await fetch(section.dataset.liveRefresh, { cache: "no-cache", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const text = await response.text();
      if (ticket !== asked || text === lastResponse) return; // a later answer is in, or nothing changed
      const fresh = new DOMParser().parseFromString(text, "text/html").querySelector(".live-updates");
      if (!fresh) return;
      const added = merge(fresh);
      lastResponse = text;
      // Scripts in the fetched list do not run: those of embeds and galleries (loaded with the page) take up
      // what is new in it.
      list.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      if (added) status.textContent = added === 1 ? "1 new update" : `${added} new updates`;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  };
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
}
