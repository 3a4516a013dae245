// While an edition is sending, its page polls the progress every two seconds and updates the
// numbers and the progress bar in place. Without JavaScript the page reloads itself instead.
(function () {
  "use strict";
  const EVERY_MS = 2000;
  const ENDED = new Set(["sent", "paused", "cancelled"]);

  function show(panel, progress) {
    for (const element of panel.querySelectorAll("[data-progress]")) {
      const value = progress[element.dataset.progress];
      if (value !== undefined) element.textContent = String(value);
    }
    const reason = panel.querySelector('[data-progress="paused_reason"]');
    if (reason) reason.classList.toggle("errornote", Boolean(progress.paused_reason));
    const bar = panel.querySelector("progress");
    if (bar) {
      bar.max = Math.max(progress.recipients, 1);
      bar.value = progress.sent + progress.failed + progress.skipped;
      bar.textContent = `${progress.sent} of ${progress.recipients}`;
    }
  }

  function poll(panel) {
    fetch(panel.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((progress) => {
        show(panel, progress);
        if (ENDED.has(progress.status)) {
          const reload = panel.querySelector(".edition-reload a");
          if (reload) reload.textContent = `${progress.status_label}. Reload for the full report`;
          return;
        }
        window.setTimeout(() => poll(panel), EVERY_MS);
      })
      .catch(() => window.setTimeout(() => poll(panel), EVERY_MS * 5));
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const panel of document.querySelectorAll(".edition-progress[data-polling]")) {
      const status = panel.querySelector('[data-progress="status_label"]');
      if (status) status.setAttribute("aria-live", "polite");
      window.setTimeout(() => poll(panel), EVERY_MS);
    }
  });
})();
