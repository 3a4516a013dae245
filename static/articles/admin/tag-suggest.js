// Suggest existing tags while a journalist types a comma-separated list.
// Works on any <input data-tag-suggest-url list="…">; without JavaScript the field is a plain text box.
(function () {
  "use strict";

  function attach(input) {
    const list = document.getElementById(input.getAttribute("list"));
    const url = input.dataset.tagSuggestUrl;
    let timer = null;
    let lastTerm = null;

    function fill(prefix, names) {
      list.replaceChildren(
        ...names.map((name) => {
          const option = document.createElement("option");
          option.value = prefix + (name.includes(",") || name.includes(" ") ? '"' + name + '"' : name) + ", ";
          return option;
        }),
      );
    }

    input.addEventListener("input", () => {
      const value = input.value;
      const cut = value.lastIndexOf(",");
      const prefix = cut === -1 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " ");
      const term = value.slice(cut + 1).trim();
      if (term.length < 1 || term === lastTerm) return;
      lastTerm = term;
      clearTimeout(timer);
      timer = setTimeout(() => {
        fetch(url + "?q=" + encodeURIComponent(term), { credentials: "same-origin" })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((data) => fill(prefix, data.results))
          .catch(() => {});
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-tag-suggest-url]").forEach(attach);
  });
})();
