/* passdesk portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function csrfToken(form) {
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  ready(function () {
    // On a phone the menu is one sideways-scrolling line: bring the current page's entry in.
    var current = document.querySelector(".site-nav a[aria-current=page]");
    if (current && current.parentNode.parentNode.scrollWidth > current.parentNode.parentNode.clientWidth) {
      var list = current.parentNode.parentNode;
      list.scrollLeft = current.offsetLeft - (list.clientWidth - current.offsetWidth) / 2;
    }
    // An error summary takes focus so screen readers announce it and keyboard users start there.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.querySelectorAll("a[href^='#']").forEach(function (link) {
        link.addEventListener("click", function (event) {
          var target = document.getElementById(link.getAttribute("href").slice(1));
          if (!target) return;
          event.preventDefault();
          target.scrollIntoView({ block: "center" });
          target.focus();
        });
      });
    }

    // Buttons that need a second thought.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });

    document.querySelectorAll("form[data-upload-form]").forEach(setUpUploads);
    document.querySelectorAll("[data-import-status]").forEach(pollImport);
    document.querySelectorAll("[data-show-when]").forEach(setUpConditional);
    document.querySelectorAll("input[data-select-all]").forEach(setUpSelectAll);
  });

  // A header box that ticks or clears every box of its name in the same form, and shows
  // whether all, some or none are ticked.
  function setUpSelectAll(master) {
    var scope = master.form || document;
    var name = master.getAttribute("data-select-all");
    function boxes() {
      return Array.prototype.filter.call(scope.querySelectorAll("input[type=checkbox]"), function (box) {
        return box.name === name && !box.disabled;
      });
    }
    master.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = master.checked; });
    });
    scope.addEventListener("change", function (event) {
      if (event.target === master || event.target.name !== name) return;
      var all = boxes();
      var ticked = all.filter(function (box) { return box.checked; }).length;
      master.checked = all.length > 0 && ticked === all.length;
      master.indeterminate = ticked > 0 && ticked < all.length;
    });
  }

  // Show a field only when another has a given value (e.g. the test time for test reports).
  function setUpConditional(block) {
    var rule = block.getAttribute("data-show-when").split("=");
    var control = document.getElementById(rule[0]);
    if (!control) return;
    var values = rule[1].split(",");
    function update() { block.hidden = values.indexOf(control.value) === -1; }
    control.addEventListener("change", update);
    update();
  }

  // Several files at once, one request each, a progress bar per file; each refusal is explained
  // next to its file. The form still posts normally when scripts are off.
  function setUpUploads(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-upload-list]") || document.getElementById(form.getAttribute("data-upload-list"));
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !input || !input.files.length) return;
      event.preventDefault();
      if (!requiredFilled(form)) return;
      var files = Array.prototype.slice.call(input.files);
      var pending = files.length;
      var succeeded = 0;
      var failed = 0;
      list.innerHTML = "";
      files.forEach(function (file) {
        var item = document.createElement("li");
        item.className = "upload-item";
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = file.name;
        var bar = document.createElement("progress");
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute("aria-label", file.name);
        var result = document.createElement("span");
        result.className = "result";
        item.appendChild(name);
        item.appendChild(bar);
        item.appendChild(result);
        list.appendChild(item);

        var data = new FormData(form);
        data.delete(input.name);
        data.append(input.name, file, file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.getAttribute("data-endpoint") || form.action);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
        });
        xhr.addEventListener("load", function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
          if (xhr.status >= 200 && xhr.status < 300 && body && body.ok) {
            bar.value = 100;
            // Stored, but the machine check read it differently from what was filed: amber,
            // announced, never the green of a scan that is fine.
            item.classList.add(body.code === "mismatch" ? "warn" : "ok");
            if (body.code === "mismatch") result.setAttribute("role", "alert");
            result.textContent = body.message;
            succeeded += 1;
          } else {
            item.classList.add("refused");
            bar.remove();  // a full bar would read as success
            result.setAttribute("role", "alert");
            result.textContent = (body && body.message) || form.getAttribute("data-generic-error");
            failed += 1;
          }
          done();
        });
        xhr.addEventListener("error", function () {
          item.classList.add("refused");
          bar.remove();
          result.setAttribute("role", "alert");
          result.textContent = form.getAttribute("data-generic-error");
          failed += 1;
          done();
        });
        xhr.send(data);
      });

      function done() {
        pending -= 1;
        if (pending > 0) return;
        input.value = "";
        if (status) {
          status.textContent = (form.getAttribute("data-summary") || "")
            .replace("%(ok)s", succeeded).replace("%(refused)s", failed);
        }
        if (succeeded) refreshRegions();
      }
    });
  }

  // Fields required only in some cases (the test time of a test report): checked before any
  // file is sent, so nobody waits for an upload to learn that a field was missing.
  function requiredFilled(form) {
    var ok = true;
    form.querySelectorAll("[data-required-when]").forEach(function (field) {
      var rule = field.getAttribute("data-required-when").split("=");
      var source = document.getElementById(rule[0]);
      var wrapper = field.closest(".field");
      var old = wrapper && wrapper.querySelector(".field-error[data-client]");
      if (old) old.remove();
      if (!source || source.value !== rule[1] || field.value) return;
      ok = false;
      if (wrapper) {
        wrapper.classList.add("has-error");
        var error = document.createElement("span");
        error.className = "field-error";
        error.setAttribute("data-client", "");
        error.setAttribute("role", "alert");
        error.textContent = field.getAttribute("data-required-message");
        field.parentNode.insertBefore(error, field);
      }
      field.focus();
    });
    return ok;
  }

  // Re-read the page and swap in the regions that list documents and what is missing.
  function refreshRegions() {
    var regions = document.querySelectorAll("[data-refresh]");
    if (!regions.length || !window.DOMParser) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) region.innerHTML = replacement.innerHTML;
        });
        watchReadings();
      });
  }

  // Scans being machine-read: look again every two seconds (for up to two minutes) so the
  // enterprise sees a mismatch before it submits.
  var readingPolls = 0;
  function watchReadings() {
    if (!document.querySelector("[data-refresh] [data-reading-pending]")) return;
    if (readingPolls >= 60) return;
    readingPolls += 1;
    window.setTimeout(refreshRegions, 2000);
  }
  ready(watchReadings);

  // Import progress: poll the small JSON status view, then show the result table.
  function pollImport(block) {
    var url = block.getAttribute("data-import-status");
    var bar = block.querySelector("progress");
    var text = block.querySelector("[data-progress-text]");
    var template = block.getAttribute("data-progress-template") || "%(processed)s / %(total)s";
    var tries = 0;
    function tick() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (job) {
          if (job.total) {
            bar.max = job.total;
            bar.value = job.processed;
          }
          if (text) {
            text.textContent = template.replace("%(processed)s", job.processed).replace("%(total)s", job.total || "?");
          }
          if (job.finished) {
            window.location.reload();
          } else if (tries < 1800) {
            window.setTimeout(tick, 1000);
          }
        })
        .catch(function () { if (tries < 1800) window.setTimeout(tick, 3000); });
    }
    tick();
  }
})();
