/* Nongan page behaviour, driven by data attributes (the Content-Security-Policy allows no inline script
   or event handler):
   - form[data-confirm="…"]          asks before submitting
   - select[data-autosubmit]         submits its form when changed
   - [data-width="42"]               sets the element's width to 42%
   - [data-style-fields]             gives the fields inside Bootstrap classes ("sm": the small ones)
   - button[data-geolocate]          fills #id_latitude / #id_longitude from the browser's position
   - button[data-print]              prints the page (after POSTing its form, when it sits in one)
   - input[data-enter-searches]      Enter searches (htmx "search") instead of submitting the form around it
   Charts: nongan/charts.js. */
(function () {
  "use strict";

  function styleFields(root) {
    root.querySelectorAll("[data-style-fields]").forEach(function (form) {
      var small = form.getAttribute("data-style-fields") === "sm";
      form.querySelectorAll("input, select, textarea").forEach(function (el) {
        var type = (el.getAttribute("type") || "").toLowerCase();
        if (["checkbox", "radio", "hidden", "submit", "button", "file"].indexOf(type) >= 0) return;
        el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
        if (small) el.classList.add(el.tagName === "SELECT" ? "form-select-sm" : "form-control-sm");
      });
    });
  }

  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      var w = parseFloat(el.getAttribute("data-width"));
      if (!isNaN(w)) el.style.width = Math.max(0, Math.min(100, w)) + "%";
    });
  }

  function setUp(root) {
    styleFields(root);
    widths(root);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el.hasAttribute && el.hasAttribute("data-enter-searches")) {
      event.preventDefault();
      if (window.htmx) window.htmx.trigger(el, "search");
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });

  document.addEventListener("click", function (event) {
    var geo = event.target.closest && event.target.closest("[data-geolocate]");
    if (geo && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("id_latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = p.coords.longitude.toFixed(6);
      });
    }
    var print = event.target.closest && event.target.closest("[data-print]");
    if (print) {
      event.preventDefault();
      var form = print.form;
      if (!form) { window.print(); return; }
      // Count the print on the server (a POST), then open the print dialog.
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { print.setAttribute("data-print-status", r.ok ? "counted" : "failed"); })
        .catch(function () { print.setAttribute("data-print-status", "failed"); })
        .then(function () { window.print(); });
    }
  });

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
