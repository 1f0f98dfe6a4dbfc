/* Live without reload: every `[data-live]` element is replaced every `data-every` seconds by the HTML
   its `data-live` URL answers (a fragment of the same page), charts inside redrawn; nothing is fetched
   while the tab is hidden, and a failed fetch keeps what is shown. `?wall=1` hides the navigation for a
   wall screen. */
(function () {
  function refresh(el) {
    if (document.hidden || el.querySelector("dialog[open]") || el.contains(document.activeElement) && document.activeElement.form) {
      return Promise.resolve();
    }
    return fetch(el.dataset.live + location.search, {credentials: "same-origin", headers: {"X-Fleetops-Live": "1"}})
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        el.innerHTML = html;
        el.dataset.refreshed = String(Date.now());
        if (window.fleetopsCharts) { window.fleetopsCharts.draw(el); }
      })
      .catch(function () {});
  }
  function start(el) {
    var every = Math.max(2, Number(el.dataset.every || 10)) * 1000;
    (function loop() { setTimeout(function () { refresh(el).then(loop); }, every); })();
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (new URLSearchParams(location.search).get("wall") === "1") { document.body.classList.add("wall"); }
    document.querySelectorAll("[data-live]").forEach(start);
  });
})();
