// A live blog's updates, refreshed every few seconds without reloading the page: the list is fetched on its own
// (revalidated, so unchanged it costs a 304) and what changed in it is brought in. An update the server renders
// the same as before stays the very element the reader has: a video playing in it plays on, a gallery stays at its
// picture. Without this script, a reload shows the same (templates/live/coverage.html).
const section = document.querySelector("section.live[data-live-refresh]");
if (section) {
  const every = Math.max(Number(section.dataset.liveEvery) || 10, 2) * 1000;
  const status = section.querySelector(".live__status");
  const list = section.querySelector(".live-updates");
  const keyOf = (item) => item.id || item.className;
  // The markup the server last sent for each update, to tell a changed update from one the page's scripts have
  // enhanced since (they have, by the time this runs). Fetched once the page is loaded: if the list is still the
  // version the page has, that is what the page was made from; if not, every update is taken as changed.
  let sent = null;
  let lastResponse = null;

  // Moving an element that holds a playing frame reloads the frame, except with moveBefore where there is one.
  const place = (item, before) =>
    item.isConnected && list.moveBefore ? list.moveBefore(item, before) : list.insertBefore(item, before);

  const merge = (fresh) => {
    const wanted = [...fresh.children];
    const keys = new Set(wanted.map(keyOf));
    const current = new Map();
    for (const item of [...list.children]) {
      if (keys.has(keyOf(item))) current.set(keyOf(item), item);
      else {
        item.remove();
        sent.delete(keyOf(item));
      }
    }
    let added = 0;
    let cursor = list.firstElementChild;
    for (const freshItem of wanted) {
      const key = keyOf(freshItem);
      const markup = freshItem.outerHTML;
      let item = current.get(key);
      if (!item || sent.get(key) !== markup) {
        const replacement = document.adoptNode(freshItem);
        if (item) {
          if (cursor === item) cursor = replacement;
          item.replaceWith(replacement);
        } else if (freshItem.id) added += 1;
        item = replacement;
      }
      sent.set(key, markup);
      if (item === cursor) cursor = cursor.nextElementSibling;
      else place(item, cursor);
    }
    list.dataset.liveVersion = fresh.dataset.liveVersion;
    return added;
  };

  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(section.dataset.liveRefresh, { cache: "no-cache", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const text = await response.text();
      if (text === lastResponse) return;
      lastResponse = text;
      const fresh = new DOMParser().parseFromString(text, "text/html").querySelector(".live-updates");
      if (!fresh) return;
      if (sent === null) {
        sent = new Map();
        if (fresh.dataset.liveVersion === list.dataset.liveVersion) {
          for (const item of fresh.children) sent.set(keyOf(item), item.outerHTML);
          return;
        }
      }
      const added = merge(fresh);
      // Scripts in the fetched list do not run: those of embeds and galleries (loaded with the page) take up
      // what is new in it.
      list.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      if (added) status.textContent = added === 1 ? "1 new update" : `${added} new updates`;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  };
  refresh();
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
}
