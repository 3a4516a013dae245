// Show the picture chosen in an image box (lead image, figures) straight away, before saving.
// The admin's autocomplete (select2) announces a choice through jQuery, so listen there.
(function ($) {
  "use strict";

  $(document).on("change", "select[data-image-preview]", function () {
    const scope = this.closest(".inline-related") || this.closest("fieldset");
    const target = scope && scope.querySelector("[data-image-preview-target]");
    if (!target) return;
    const chosen = this.options[this.selectedIndex];
    if (!this.value || !chosen) {
      target.textContent = "—";
      return;
    }
    const img = document.createElement("img");
    img.src = this.dataset.imagePreview.replace("/0/", "/" + encodeURIComponent(this.value) + "/");
    img.alt = chosen.textContent;
    img.style.maxWidth = target.dataset.imagePreviewTarget + "px";
    img.style.height = "auto";
    target.replaceChildren(img);
  });
})(django.jQuery);
