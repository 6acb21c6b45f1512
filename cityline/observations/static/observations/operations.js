/* The operations page (issue 6): refresh the three tables every few seconds from live.json and announce
   new alerts in the polite live region. An enhancement only: without JavaScript the page shows the
   figures as of page load and a refresh link. The JSON carries display text; cells are set with
   textContent (never HTML). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function fill(table, rows) {
    var body = table.tBodies[0];
    var columns = table.tHead.rows[0].cells.length;
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (!rows.length) {
      var tr = body.insertRow(), td = document.createElement("td");
      td.colSpan = columns;
      td.textContent = table.getAttribute("data-empty") || "";
      tr.appendChild(td);
      return;
    }
    rows.forEach(function (row) {
      var tr = body.insertRow();
      row.cells.forEach(function (text, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { cell.scope = "row"; }
        cell.textContent = text;
        tr.appendChild(cell);
      });
    });
  }
  ready(function () {
    var root = document.querySelector("[data-live-url]");
    if (!root || !window.fetch) { return; }
    var url = root.getAttribute("data-live-url");
    var period = (parseInt(root.getAttribute("data-refresh"), 10) || 5) * 1000;
    var news = root.querySelector("[data-live-news]");
    var time = root.querySelector("[data-live-time]");
    var openTable = root.querySelector("[data-live-table=open]");
    var known = {};
    (openTable.getAttribute("data-known") || "").split(" ").forEach(function (id) { if (id) { known[id] = true; } });
    function refresh() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          ["open", "readings", "recent"].forEach(function (name) {
            var table = root.querySelector("[data-live-table=" + name + "]");
            if (table) { fill(table, data[name]); }
          });
          var fresh = data.open.filter(function (a) { return !known[a.id]; });
          data.open.forEach(function (a) { known[a.id] = true; });
          if (fresh.length && news) {
            news.textContent = fresh.map(function (a) { return a.announce; }).join(" ");
          }
          if (time) { time.textContent = data.updated; }
        })
        .catch(function () { /* keep what is shown; try again next time */ });
    }
    window.setInterval(refresh, period);
  });
})();
