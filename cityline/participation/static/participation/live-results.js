/* Live survey results (issue 8): refresh the results section every 15 seconds from results.json.
   Everything here is an enhancement: without JavaScript the page shows the results as of page load.
   Elements carry data-live="path.to.value" into the JSON (aggregates only). */
(function () {
  "use strict";
  var PERIOD = 15000;
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function lookup(data, path) {
    return path.split(".").reduce(function (value, part) {
      return value === null || value === undefined ? undefined : value[part];
    }, data);
  }
  ready(function () {
    var section = document.querySelector("[data-results-url]");
    if (!section || !window.fetch) { return; }
    var url = section.getAttribute("data-results-url");
    var status = section.querySelector("[data-live-status]");
    var lang = document.documentElement.lang || undefined;
    function refresh() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          Array.prototype.forEach.call(section.querySelectorAll("[data-live]"), function (el) {
            var value = lookup(data, el.getAttribute("data-live"));
            if (value === undefined) { return; }
            el.textContent = value === null ? "—" : Number(value).toLocaleString(lang);
          });
          if (status) {
            status.textContent = (status.getAttribute("data-updated") || "Updated at") + " " +
              new Date().toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit", second: "2-digit"}) + ".";
          }
        })
        .catch(function () { /* keep the figures shown; try again next time */ });
    }
    window.setInterval(refresh, PERIOD);
  });
})();
