// Live character counts under the headline, standfirst and meta description, with the
// length we aim for. Without JavaScript the help text gives the same guidance.
(function () {
  "use strict";
  const AIMS = { id_headline: 90, id_standfirst: 300, id_meta_description: 155 };

  function attach(field, aim) {
    const counter = document.createElement("div");
    counter.className = "help char-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    const update = () => {
      const length = field.value.length;
      counter.textContent = `${length} characters (aim for ${aim} or fewer)`;
      counter.classList.toggle("char-count--over", length > aim);
    };
    field.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const [id, aim] of Object.entries(AIMS)) {
      const field = document.getElementById(id);
      if (field) attach(field, aim);
    }
  });
})();
