/* The benefit map made interactive (C1): select a box to light up its line of sight, filter by purpose.
   Plain JavaScript, no library. Everything here is an enhancement: without it the list after the map
   carries the same content. Upstream and downstream sets come from the server (data-up, data-down). */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }
  ready(function () {
    var svg = document.querySelector("svg.benefit-map");
    if (!svg) { return; }
    var region = svg.closest(".map-scroll");
    var status = document.getElementById("map-status");
    var select = document.getElementById("map-purpose");
    var clear = document.getElementById("map-clear");
    var nodes = Array.prototype.slice.call(svg.querySelectorAll(".node"));
    var links = Array.prototype.slice.call(svg.querySelectorAll(".link"));
    var byIndex = {};
    var selected = null;

    // From a picture to a group of buttons.
    svg.setAttribute("role", "group");
    svg.classList.add("js");
    nodes.forEach(function (n) {
      byIndex[n.getAttribute("data-index")] = n;
      n.setAttribute("tabindex", "0");
      n.setAttribute("role", "button");
      n.setAttribute("aria-pressed", "false");
      n.setAttribute("aria-label", n.getAttribute("data-label"));
    });
    document.getElementById("map-help").hidden = false;
    document.querySelector(".map-controls").hidden = false;

    function list(n, attr) {
      var v = n.getAttribute(attr);
      return v ? v.split(" ") : [];
    }
    function reset() {
      nodes.forEach(function (n) {
        n.classList.remove("selected", "upstream", "downstream", "dim");
        n.setAttribute("aria-pressed", "false");
      });
      links.forEach(function (l) { l.classList.remove("lit", "dim"); });
    }
    function applyFilter() {
      var purpose = select.value;
      if (!purpose) { return; }
      var keep = {};
      nodes.forEach(function (n) {
        if (list(n, "data-purposes").indexOf(purpose) >= 0) { keep[n.getAttribute("data-index")] = true; }
      });
      nodes.forEach(function (n) { if (!keep[n.getAttribute("data-index")]) { n.classList.add("dim"); } });
      links.forEach(function (l) {
        if (!(keep[l.getAttribute("data-from")] && keep[l.getAttribute("data-to")])) { l.classList.add("dim"); }
      });
    }
    function choose(n) {
      reset();
      if (selected === n) {
        selected = null;
        applyFilter();
        status.textContent = region.getAttribute("data-cleared");
        return;
      }
      selected = n;
      var lit = {};
      var me = n.getAttribute("data-index");
      lit[me] = true;
      var up = list(n, "data-up"), down = list(n, "data-down");
      up.forEach(function (i) { lit[i] = true; if (byIndex[i]) { byIndex[i].classList.add("upstream"); } });
      down.forEach(function (i) { lit[i] = true; if (byIndex[i]) { byIndex[i].classList.add("downstream"); } });
      n.classList.add("selected");
      n.setAttribute("aria-pressed", "true");
      nodes.forEach(function (m) { if (!lit[m.getAttribute("data-index")]) { m.classList.add("dim"); } });
      links.forEach(function (l) {
        var a = l.getAttribute("data-from"), b = l.getAttribute("data-to");
        if (lit[a] && lit[b]) { l.classList.add("lit"); } else { l.classList.add("dim"); }
      });
      status.textContent = fill(region.getAttribute("data-selected"),
        {name: n.getAttribute("data-label"), up: up.length, down: down.length});
    }
    nodes.forEach(function (n) {
      n.addEventListener("click", function () { choose(n); });
      n.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") { e.preventDefault(); choose(n); }
      });
    });
    select.addEventListener("change", function () {
      selected = null;
      reset();
      applyFilter();
      var opt = select.options[select.selectedIndex];
      status.textContent = select.value ? fill(region.getAttribute("data-filtered"), {name: opt.text})
        : region.getAttribute("data-cleared");
    });
    clear.addEventListener("click", function () {
      selected = null;
      select.value = "";
      reset();
      status.textContent = region.getAttribute("data-cleared");
    });
  });
}());
