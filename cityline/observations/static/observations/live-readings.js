/* Live sensor readings (issue 6): refresh the latest values and the open alerts every 30 seconds from
   sensors.json. An enhancement only: without JavaScript the page shows them as of page load.
   Elements carry data-live="latest.<series key>.value" / data-live-time="latest.<key>.time"; the open alerts
   are the list of [data-live-alerts] (its words in data-since and data-peak). Times are UTC, as on the page. */
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
  // "2026-11-29 23:00", as the server's utc_time filter writes an ISO 8601 time
  function wallClock(iso) { return iso.slice(0, 16).replace("T", " "); }
  function utc(iso) { return wallClock(iso) + " UTC"; }
  function alertItem(a, words, lang) {
    var item = document.createElement("li");
    var severity = document.createElement("strong");
    severity.textContent = a.severity_label + ":";
    var link = document.createElement("a");
    link.href = "#series-" + a.series;
    link.textContent = a.series_name;
    var since = document.createElement("time");
    since.setAttribute("datetime", a.started_at);
    since.textContent = utc(a.started_at);
    var peak = a.peak === null ? "—" : Number(a.peak).toLocaleString(lang, {maximumFractionDigits: 1});
    item.append(severity, " " + a.rule + " — ", link, " (" + words.since + " ", since, ", " + words.peak + " " +
      peak + ")");
    return item;
  }
  function showAlerts(section, alerts, lang) {
    var list = section.querySelector("ul");
    var none = section.querySelector("p");
    var words = {since: section.getAttribute("data-since"), peak: section.getAttribute("data-peak")};
    list.replaceChildren.apply(list, alerts.map(function (a) { return alertItem(a, words, lang); }));
    list.hidden = !alerts.length;
    none.hidden = !!alerts.length;
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
            el.textContent = wallClock(value);
          });
          var section = box.querySelector("[data-live-alerts]");
          if (section && Array.isArray(data.alerts)) { showAlerts(section, data.alerts, lang); }
          if (status) {
            status.textContent = (status.getAttribute("data-updated") || "Updated at") + " " +
              new Date().toISOString().slice(11, 19) + " UTC.";
          }
        })
        .catch(function () { /* keep the values shown; try again next time */ });
    }
    window.setInterval(refresh, PERIOD);
  });
})();
