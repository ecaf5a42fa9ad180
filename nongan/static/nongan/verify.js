/* The public verification page's place picker (no inline script: the page's CSP allows scripts from this site only).
   - form[data-scan-place]          the picker: a township from the fixed list, submitted as ?town=<code>&placed=1
   - button[data-scan-locate]       shown only where the browser has the Geolocation API: asks for the position,
                                    puts it into the form's lat / lon rounded to 0.01° (about 1 km; the server
                                    rounds again and shows it to staff only) and submits the form
   Without JavaScript the township list works as it is. */
(function () {
  "use strict";

  function setUp() {
    document.querySelectorAll("form[data-scan-place]").forEach(function (form) {
      var button = form.querySelector("[data-scan-locate]");
      if (!button || !navigator.geolocation) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (p) {
            form.elements.lat.value = p.coords.latitude.toFixed(2);
            form.elements.lon.value = p.coords.longitude.toFixed(2);
            form.elements.town.value = "";
            form.submit();
          },
          function () { button.disabled = false; button.setAttribute("data-scan-locate", "refused"); },
          {maximumAge: 600000, timeout: 15000}
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
