/* Nongan page behaviour, driven by data attributes (the Content-Security-Policy allows no inline script
   or event handler):
   - form[data-confirm="…"]          asks before submitting
   - select[data-autosubmit]         submits its form when changed
   - [data-width="42"]               sets the element's width to 42%
   - [data-style-fields]             gives the fields inside Bootstrap classes ("sm": the small ones)
   - button[data-geolocate]          fills #id_latitude / #id_longitude from the browser's position
   - button[data-print]              prints the page (after POSTing its form, when it sits in one)
   - input[data-enter-searches]      Enter searches (htmx "search") instead of submitting the form around it
   - button[data-scan="<input id>"]  scans a QR code with the camera (getUserMedia; decoded by BarcodeDetector
                                     or, without it, by jsQR when the page loads vendor/jsqr/jsQR.js: shown only
                                     then) into that input and submits its form with its first submit button
   - input[data-tick-all="<form id>"] ticks or clears every checkbox named "ids" of that form (batch actions)
   - select[data-region-picker]      a region select grouped by township becomes two: the township first, then
                                     only that township's villages (without JavaScript: the grouped list)
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

  function regionPickers(root) {
    root.querySelectorAll("select[data-region-picker]").forEach(function (sel) {
      if (sel.hasAttribute("data-region-ready")) return;
      var groups = Array.prototype.slice.call(sel.querySelectorAll("optgroup"));
      if (groups.length < 2) return;  // one township: its short list as it is
      sel.setAttribute("data-region-ready", "");
      var blank = sel.querySelector("option[value='']");
      var town = document.createElement("select");
      town.className = sel.className;
      town.classList.add("mb-1");
      town.setAttribute("aria-label", sel.getAttribute("data-region-picker"));
      town.setAttribute("data-region-town", "");
      town.add(new Option(sel.getAttribute("data-region-placeholder") || "—", ""));
      groups.forEach(function (g) { town.add(new Option(g.label, g.label)); });
      sel.parentNode.insertBefore(town, sel);
      function show(label) {
        var keep = sel.value;
        while (sel.firstChild) sel.removeChild(sel.firstChild);
        if (blank) sel.appendChild(blank);
        groups.forEach(function (g) { if (g.label === label) sel.appendChild(g); });
        sel.value = keep;
        if (sel.value !== keep || !keep) sel.value = "";
      }
      var chosen = sel.selectedIndex > 0 ? sel.options[sel.selectedIndex].parentNode : null;
      town.value = chosen && chosen.tagName === "OPTGROUP" ? chosen.label : "";
      show(town.value);
      town.addEventListener("change", function () { show(town.value); });
    });
  }

  // A QR decoder: the browser's BarcodeDetector (Android Chrome, macOS), else jsQR (vendor/jsqr, loaded by the page
  // that scans: iOS Safari and desktop Linux have no BarcodeDetector). Resolves to the text read, or null.
  function qrReader() {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }
    if (!window.jsQR) return null;
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", {willReadFrequently: true});
    return function (video) {
      var w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return Promise.resolve(null);
      canvas.width = w;
      canvas.height = h;
      context.drawImage(video, 0, 0, w, h);
      var code = window.jsQR(context.getImageData(0, 0, w, h).data, w, h, {inversionAttempts: "dontInvert"});
      return Promise.resolve(code ? code.data : null);
    };
  }

  function scanners(root) {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) || !qrReader()) return;
    root.querySelectorAll("[data-scan]").forEach(function (button) { button.hidden = false; });
  }

  function scan(button) {
    var id = button.getAttribute("data-scan");
    var input = document.getElementById(id);
    var video = document.querySelector("[data-scan-video='" + id + "']");
    var read = qrReader();
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      function stop() {
        stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
      }
      function look() {
        if (video.hidden) return;
        read(video).then(function (text) {
          if (text) {
            stop();
            input.value = text;
            var submit = input.form.querySelector("button[type=submit], button:not([type])");
            if (input.form.requestSubmit) input.form.requestSubmit(submit); else submit.click();
          } else {
            window.setTimeout(look, 120);
          }
        }).catch(function () { window.setTimeout(look, 120); });
      }
      look();
    }).catch(function () {
      button.hidden = true;
      input.setAttribute("placeholder", button.getAttribute("data-scan-error") || "");
      input.focus();
    });
  }

  function setUp(root) {
    styleFields(root);
    widths(root);
    regionPickers(root);
    scanners(root);
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
    if (el.hasAttribute && el.hasAttribute("data-tick-all")) {
      var owner = el.getAttribute("data-tick-all");
      document.querySelectorAll("input[type=checkbox][name=ids]").forEach(function (box) {
        if (box.getAttribute("form") === owner) box.checked = el.checked;
      });
    }
  });

  document.addEventListener("click", function (event) {
    var geo = event.target.closest && event.target.closest("[data-geolocate]");
    if (geo && navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("id_latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = p.coords.longitude.toFixed(6);
      });
    }
    var scanButton = event.target.closest && event.target.closest("[data-scan]");
    if (scanButton) { event.preventDefault(); scan(scanButton); }
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
