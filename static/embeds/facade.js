// Embeds load only when the reader asks: each facade's button swaps it for the provider's player in a sandboxed
// frame. Without this script the facade is a link to the original (templates/embeds/facade.html). Facades that
// arrive later (a live blog's new updates) are taken up when live.js says so.
const enhance = (root) => {
  for (const figure of root.querySelectorAll("figure.embed[data-frame]:not([data-enhanced])")) {
    const consent = figure.querySelector(".embed__consent");
    const facade = figure.querySelector(".embed__facade");
    if (!consent || !facade) continue;
    figure.dataset.enhanced = "";
    consent.hidden = false;
    consent.querySelector(".embed__load").addEventListener("click", () => {
      const frame = document.createElement("iframe");
      frame.src = figure.dataset.frame;
      frame.title = figure.dataset.title;
      frame.setAttribute("sandbox", figure.dataset.sandbox);
      frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      frame.className = "embed__frame";
      if (figure.dataset.width && figure.dataset.height) {
        frame.width = figure.dataset.width;
        frame.height = figure.dataset.height;
      }
      figure.embedFacade = facade;
      facade.replaceWith(frame);
      consent.remove();
      figure.classList.add("embed--loaded");
      frame.focus();
    });
  }
};

// A page states the frames it may load when it is served. A live update posted since may bring a provider the
// page did not name: its frame is refused, and the reader gets the link back rather than an empty box.
document.addEventListener("securitypolicyviolation", (event) => {
  if (!event.effectiveDirective.startsWith("frame-src") && !event.effectiveDirective.startsWith("child-src")) return;
  for (const figure of document.querySelectorAll("figure.embed--loaded")) {
    const frame = figure.querySelector("iframe.embed__frame");
    if (frame && figure.embedFacade && event.blockedURI && frame.src.startsWith(event.blockedURI)) {
      frame.replaceWith(figure.embedFacade);
      figure.classList.remove("embed--loaded");
    }
  }
});

enhance(document);
document.addEventListener("live:updated", (event) => enhance(event.target));
