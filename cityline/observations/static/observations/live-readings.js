/* Live sensor readings (issue 6): refresh the latest values every 30 seconds from sensors.json.
   An enhancement only: without JavaScript the page shows the readings as of page load.
   Elements carry data-live="latest.<series key>.value" / data-live-time="latest.<key>.time". */
(function () {
  "use strict";
  var PERIOD = 30000;
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function lookup(data, path) {
    return path.split(".").reduce(function (value, part) {
      return value === null || value === undefined ? undefined : value[part];
    }, data);
  }
  ready(function () {
    var box = document.querySelector("[data-readings-url]");
    if (!box || !window.fetch) { return; }
    var url = box.getAttribute("data-readings-url");
    var status = box.querySelector("[data-live-status]");
    var lang = document.documentElement.lang || undefined;
    function refresh() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          Array.prototype.forEach.call(box.querySelectorAll("[data-live]"), function (el) {
            var value = lookup(data, el.getAttribute("data-live"));
            if (value === undefined) { return; }
            el.textContent = value === null ? "—" : Number(value).toLocaleString(lang, {maximumFractionDigits: 2});
          });
          Array.prototype.forEach.call(box.querySelectorAll("[data-live-time]"), function (el) {
            var value = lookup(data, el.getAttribute("data-live-time"));
            if (!value) { return; }
            el.setAttribute("datetime", value);
            el.textContent = value.slice(0, 16).replace("T", " ");
          });
          if (status) {
            status.textContent = (status.getAttribute("data-updated") || "Updated at") + " " +
              new Date().toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit", second: "2-digit"}) + ".";
          }
        })
        .catch(function () { /* keep the values shown; try again next time */ });
    }
    window.setInterval(refresh, PERIOD);
  });
})();
