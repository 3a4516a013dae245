// A live blog's updates, refreshed every few seconds without reloading the page: the list is fetched on its own
// (revalidated, so unchanged it costs a 304) and swapped in when its version changed. Without this script, a
// reload shows the same (templates/live/coverage.html).
const section = document.querySelector("section.live[data-live-refresh]");
if (section) {
  const every = Math.max(Number(section.dataset.liveEvery) || 10, 2) * 1000;
  const status = section.querySelector(".live__status");
  const refresh = async () => {
    if (document.hidden) return;
    const list = section.querySelector(".live-updates");
    try {
      const response = await fetch(section.dataset.liveRefresh, { cache: "no-cache", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector(".live-updates");
      if (!fresh || fresh.dataset.liveVersion === list.dataset.liveVersion) return;
      const known = new Set([...list.querySelectorAll(".live-update[id]")].map((item) => item.id));
      const added = [...fresh.querySelectorAll(".live-update[id]")].filter((item) => !known.has(item.id)).length;
      const adopted = document.adoptNode(fresh);
      list.replaceWith(adopted);
      // Scripts in the fetched list do not run: those of embeds and galleries (loaded with the page) take it up.
      adopted.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      if (added) status.textContent = added === 1 ? "1 new update" : `${added} new updates`;
    } catch {
      // Offline for a moment: the next round tries again.
    }
  };
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
}
