// Embeds load only when the reader asks: each facade's button swaps it for the provider's player in a sandboxed
// frame. Without this script the facade is a link to the original (templates/embeds/facade.html).
for (const figure of document.querySelectorAll("figure.embed[data-frame]")) {
  const consent = figure.querySelector(".embed__consent");
  const facade = figure.querySelector(".embed__facade");
  if (!consent || !facade) continue;
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
    facade.replaceWith(frame);
    consent.remove();
    figure.classList.add("embed--loaded");
    frame.focus();
  });
}
