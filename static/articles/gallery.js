// A gallery is a row of pictures that scrolls and swipes sideways without any script (CSS scroll snapping; the
// row takes keyboard focus, so arrow keys scroll it too). This adds Previous and Next buttons and says which
// picture is showing. Loaded once however many galleries a page has; galleries that arrive later (a live blog's
// new updates) are taken up when live.js says so.
const enhance = (root) => {
  for (const gallery of root.querySelectorAll(".gallery:not([data-enhanced])")) {
    const row = gallery.querySelector(".gallery__row");
    const items = [...row.querySelectorAll(".gallery__item")];
    if (items.length < 2) continue;
    gallery.dataset.enhanced = "";
    const controls = document.createElement("div");
    controls.className = "gallery__controls";
    const previous = document.createElement("button");
    previous.type = "button";
    previous.textContent = "Previous picture";
    const next = document.createElement("button");
    next.type = "button";
    next.textContent = "Next picture";
    const status = document.createElement("p");
    status.className = "gallery__status";
    status.setAttribute("aria-live", "polite");
    controls.append(previous, status, next);
    gallery.append(controls);

    const current = () => {
      const left = row.getBoundingClientRect().left;
      let best = 0;
      items.forEach((item, index) => {
        if (Math.abs(item.getBoundingClientRect().left - left) < Math.abs(items[best].getBoundingClientRect().left - left)) best = index;
      });
      return best;
    };
    const show = (index) => {
      const target = items[Math.max(0, Math.min(items.length - 1, index))];
      row.scrollTo({ left: target.offsetLeft - row.offsetLeft, behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    };
    const update = () => {
      const index = current();
      status.textContent = `Picture ${index + 1} of ${items.length}`;
      previous.disabled = index === 0;
      next.disabled = index === items.length - 1;
    };
    previous.addEventListener("click", () => show(current() - 1));
    next.addEventListener("click", () => show(current() + 1));
    let pending;
    row.addEventListener("scroll", () => {
      clearTimeout(pending);
      pending = setTimeout(update, 80);
    }, { passive: true });
    update();
  }
};

enhance(document);
document.addEventListener("live:updated", (event) => enhance(event.target));
