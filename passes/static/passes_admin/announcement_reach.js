/* The announcement form: how many enterprises the chosen audience reaches, before publishing.
   Asks the admin's reach endpoint (passes.admin.messaging) whenever the audience changes. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var form = document.getElementById("announcement_form");
    var audience = document.getElementById("id_audience");
    if (!form || !audience || !form.dataset) { return; }
    var url = form.getAttribute("data-reach-url") || (document.getElementById("pd-reach-url") || {}).value;
    if (!url) { return; }
    var passType = document.getElementById("id_pass_type");
    var district = document.getElementById("id_district");
    var out = document.createElement("p");
    out.id = "pd-reach";
    out.className = "pd-reach";
    out.setAttribute("aria-live", "polite");
    var box = audience.parentNode;  // Django's flex row of the select and its buttons
    box.parentNode.insertBefore(out, box.nextSibling);
    var timer = null;
    function row(el) { return el && el.closest ? el.closest(".form-row") : null; }
    function show(wantsPassType, wantsDistrict) {
      // Only the detail the chosen audience needs is asked for.
      var ptRow = row(passType), dRow = row(district);
      if (ptRow) { ptRow.hidden = !wantsPassType; }
      if (dRow) { dRow.hidden = !wantsDistrict; }
    }
    function ask() {
      var value = audience.value;
      show(value === "pass_type", value === "district");
      var query = "?audience=" + encodeURIComponent(value) +
        "&pass_type=" + encodeURIComponent(passType ? passType.value : "") +
        "&district=" + encodeURIComponent(district ? district.value : "");
      var request = new XMLHttpRequest();
      request.open("GET", url + query);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (request.status !== 200) { return; }
        try { out.textContent = JSON.parse(request.responseText).text; } catch (e) { /* keep */ }
      };
      request.send();
    }
    function later() { clearTimeout(timer); timer = setTimeout(ask, 250); }
    audience.addEventListener("change", ask);
    if (passType) { passType.addEventListener("change", ask); }
    if (district) { district.addEventListener("input", later); }
    ask();
  });
})();
