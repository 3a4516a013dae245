// While someone works in the back office (typing, clicking), their session is kept alive: it ends only after
// STAFF_IDLE_MINUTES without any activity. If it has ended anyway (signed out elsewhere, a password changed),
// the page says so at once, before anything typed can be lost on saving.
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script.dataset.keepAlive;
  const every = 5 * 60 * 1000;
  let active = false;
  let warned = false;

  for (const name of ["keydown", "input", "pointerdown"]) {
    document.addEventListener(name, () => { active = true; }, { passive: true, capture: true });
  }

  function warn() {
    if (warned) return;
    warned = true;
    const note = document.createElement("p");
    note.className = "errornote";
    note.setAttribute("role", "alert");
    note.textContent = "You have been signed out. Nothing on this page is lost yet: copy what you typed, sign in " +
      "again in another tab, then come back and save.";
    const main = document.getElementById("content") || document.body;
    main.prepend(note);
  }

  async function ping() {
    if (!active || warned) return;
    active = false;
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" });
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) warn();
    } catch (error) {
      // Offline for a moment: try again at the next tick.
      active = true;
    }
  }

  setInterval(ping, every);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") ping(); });
})();
