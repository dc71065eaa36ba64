// Warns before the session ends of inactivity, and lets the person stay signed in with one key
// press or the button (WCAG 2.2.1 Timing Adjustable). The server decides when a session ends
// (cpspartners/accounts/sessions.py); without this script its limit still holds.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box || !window.fetch) { return; }
  var idle = parseInt(box.getAttribute("data-idle"), 10);
  var warn = parseInt(box.getAttribute("data-warn"), 10);
  var statusUrl = box.getAttribute("data-status");
  var form = box.querySelector("form");
  var button = document.getElementById("session-stay");
  var timer = null;

  function schedule(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, seconds) * 1000);
  }

  function show() {
    box.hidden = false;
    document.addEventListener("keydown", stay, true);
    button.focus();
  }

  function hide() {
    box.hidden = true;
    document.removeEventListener("keydown", stay, true);
  }

  function signedOut() {
    // The server ended the session: reload, which leads to the sign-in page.
    window.location.reload();
  }

  // Ask how long is left (asking does not count as activity: another tab may have been used).
  function check() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.signed_in) { signedOut(); return; }
        if (data.remaining > warn) { hide(); schedule(data.remaining - warn); }
        else { show(); schedule(data.remaining + 1); }
      })
      .catch(function () { schedule(30); });
  }

  function stay(event) {
    if (event) { event.preventDefault(); }
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(form)
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.signed_in) { signedOut(); return; }
        hide();
        schedule(data.remaining - warn);
      })
      .catch(function () { signedOut(); });
  }

  form.addEventListener("submit", stay);
  schedule(idle - warn);
})();
