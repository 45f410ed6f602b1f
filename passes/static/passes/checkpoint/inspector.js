/* passdesk checkpoint page: choose the checkpoint, scan or type, show the verdict full screen.
 * Scans go to POST /api/v1/scans/ with a random nonce and the device time; without a network
 * they wait in localStorage and are uploaded later (the server marks them late). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("cp-config").textContent);
  var words = JSON.parse(document.getElementById("cp-messages").textContent);
  var CHECKPOINT_KEY = "passdesk.checkpoint";
  var QUEUE_KEY = "passdesk.scanQueue";
  var MAX_QUEUE = 500;

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.hidden = !on; }
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // --- Checkpoint, once per shift -------------------------------------------------------
  function currentCheckpoint() {
    var code = localStorage.getItem(CHECKPOINT_KEY);
    for (var i = 0; i < config.checkpoints.length; i++) {
      if (config.checkpoints[i].code === code) return config.checkpoints[i];
    }
    return null;
  }

  function render() {
    var checkpoint = currentCheckpoint();
    show($("cp-choose"), !checkpoint);
    show($("cp-scan"), !!checkpoint);
    $("cp-app").dataset.state = checkpoint ? "scan" : "choose";
    if (checkpoint) $("cp-at-name").textContent = checkpoint.name;
    renderQueue();
  }

  document.querySelectorAll(".cp-choice").forEach(function (button) {
    button.addEventListener("click", function () {
      localStorage.setItem(CHECKPOINT_KEY, button.dataset.checkpoint);
      render();
    });
  });
  $("cp-change").addEventListener("click", function () {
    localStorage.removeItem(CHECKPOINT_KEY);
    stopCamera();
    render();
  });

  // --- Sending scans ----------------------------------------------------------------------
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newNonce() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function post(scan) {
    return fetch(config.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(scan),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY)) || []; } catch (e) { return []; }
  }
  function saveQueue(queue) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(queue.slice(-MAX_QUEUE)));
    renderQueue();
  }
  function renderQueue() {
    var count = loadQueue().length;
    show($("cp-queue"), count > 0);
    $("cp-queue-text").textContent = format(words.queued, { count: count });
  }

  var flushing = false;
  function flushQueue() {
    if (flushing) return Promise.resolve();
    var queue = loadQueue();
    if (!queue.length) return Promise.resolve();
    flushing = true;
    var scan = queue[0];
    return post(scan).then(function (result) {
      // Accepted (201/200 replay) or refused for good (400): either way it leaves the queue.
      // Logged out (401/403) or a server fault (5xx): keep it and try again later.
      if (result.status < 500 && result.status !== 401 && result.status !== 403) {
        noteIfNotValid(scan, result);
        saveQueue(loadQueue().filter(function (s) { return s.nonce !== scan.nonce; }));
        flushing = false;
        return flushQueue();
      }
      flushing = false;
    }, function () { flushing = false; });
  }
  // Scans uploaded late whose server verdict is not "valid" (e.g. revoked since the phone's
  // copy of the list): the inspector is told, since the truck has already passed.
  var ATTENTION_KEY = "passdesk.attention";
  function noteIfNotValid(scan, result) {
    var verdict = result.body && result.body.verdict;
    if (!verdict || verdict.severity === "ok") return;
    var pass = result.body.pass || {};
    var notes = JSON.parse(localStorage.getItem(ATTENTION_KEY) || "[]");
    notes.push({
      what: pass.plate || result.body.number || scan.number || "?",
      label: verdict.label,
      at: scan.scanned_at,
    });
    localStorage.setItem(ATTENTION_KEY, JSON.stringify(notes.slice(-20)));
    renderAttention();
  }
  function renderAttention() {
    var notes = JSON.parse(localStorage.getItem(ATTENTION_KEY) || "[]");
    var list = $("cp-attention-list");
    list.textContent = "";
    notes.forEach(function (note) {
      var item = document.createElement("li");
      item.textContent = localTime(note.at) + " " + note.what + ": " + note.label;
      list.appendChild(item);
    });
    show($("cp-attention"), notes.length > 0);
  }
  $("cp-attention-dismiss").addEventListener("click", function () {
    localStorage.removeItem(ATTENTION_KEY);
    renderAttention();
  });

  window.addEventListener("online", flushQueue);
  setInterval(function () { if (navigator.onLine !== false) flushQueue(); }, 30000);
  $("cp-queue-upload").addEventListener("click", flushQueue);

  function submitScan(fields) {
    var checkpoint = currentCheckpoint();
    if (!checkpoint) { render(); return; }
    var scan = {
      checkpoint: checkpoint.code,
      nonce: newNonce(),
      scanned_at: new Date().toISOString(),
    };
    Object.keys(fields).forEach(function (key) { scan[key] = fields[key]; });
    showChecking();
    post(scan).then(function (result) {
      if (result.status === 200 || result.status === 201) {
        showVerdict(result.body, result.status === 200);
      } else if (result.status === 401 || result.status === 403) {
        saveQueue(loadQueue().concat([scan]));
        showMessage("bad", words.sessionExpired);
      } else if (result.status >= 500) {
        saveQueue(loadQueue().concat([scan]));
        checkOffline(scan);
      } else {
        var error = (result.body && result.body.error) || {};
        showMessage("bad", format(words.serverError, { message: error.message || result.status }));
      }
    }, function () {
      saveQueue(loadQueue().concat([scan]));
      checkOffline(scan);
    });
  }

  // No answer from the server: a QR code can still be checked on the phone (signature, copied
  // revocation list, validity window); typed numbers cannot.
  function checkOffline(scan) {
    if (!scan.code || !window.PassdeskOffline) { showOffline(); return; }
    window.PassdeskOffline.check(scan.code, scan.plate).then(function (outcome) {
      if (outcome) showOfflineVerdict(outcome); else showOffline();
    }, showOffline);
  }

  function syncOfflineCopy() {
    if (!window.PassdeskOffline || navigator.onLine === false) return;
    window.PassdeskOffline.sync({ keys: config.keysUrl, revocations: config.revocationsUrl })
      .catch(function () { /* keep the last copy */ });
  }
  setInterval(syncOfflineCopy, 5 * 60 * 1000);

  // --- Verdict screen ---------------------------------------------------------------------
  var ICONS = { ok: "✔", warn: "!", bad: "✖", info: "…" };

  function openVerdict(severity) {
    stopCamera();
    var screen = $("cp-verdict");
    screen.dataset.severity = severity;
    delete screen.dataset.offline;
    $("cp-verdict-icon").textContent = ICONS[severity] || "";
    show(screen, true);
    document.body.classList.add("cp-verdict-open");
    $("cp-next").focus();
  }

  function clearFacts() {
    ["plate", "enterprise", "route", "validity", "number", "drivers", "cargo"].forEach(function (name) {
      $("cp-v-" + name).textContent = "";
    });
  }

  function showChecking() {
    clearFacts();
    $("cp-verdict-word").textContent = words.checking;
    $("cp-verdict-note").textContent = "";
    show($("cp-verdict-body"), false);
    openVerdict("info");
  }

  function showMessage(severity, text) {
    clearFacts();
    $("cp-verdict-word").textContent = text;
    $("cp-verdict-note").textContent = "";
    show($("cp-verdict-body"), false);
    openVerdict(severity);
  }

  function showOffline() {
    clearFacts();
    $("cp-verdict-word").textContent = words.offlineTitle;
    $("cp-verdict-note").textContent = words.offlineSaved;
    show($("cp-verdict-body"), false);
    openVerdict("info");
  }

  function showOfflineVerdict(outcome) {
    var info = config.verdicts[outcome.verdict];
    clearFacts();
    $("cp-verdict-word").textContent = info.label;
    var notes = [words.offlineChecked];
    if (outcome.reason && words.reasons[outcome.reason]) notes.unshift(words.reasons[outcome.reason]);
    if (outcome.revokedAsOf) notes.push(format(words.revokedAsOf, { time: localTime(outcome.revokedAsOf) }));
    if (outcome.issuer) notes.unshift(format(words.issuedBy, outcome.issuer));
    $("cp-verdict-note").textContent = notes.join(" ");
    var claims = outcome.claims;
    if (claims) {
      $("cp-v-plate").textContent = claims.plate;
      $("cp-v-validity").textContent = localTime(claims.validFrom) + " " + words.validTo + " " + localTime(claims.validUntil);
      $("cp-v-number").textContent = claims.number.slice(0, 6) + " " + claims.number.slice(6);
      $("cp-v-enterprise").textContent = outcome.issuer ? format(words.issuedBy, outcome.issuer) : words.offlineUnknown;
      show($("cp-verdict-body"), true);
    } else {
      show($("cp-verdict-body"), false);
    }
    openVerdict(info.severity);
    $("cp-verdict").dataset.offline = "true";
  }

  function localTime(iso) {
    var date = new Date(iso);
    if (isNaN(date)) return iso || "";
    var pad = function (n) { return ("0" + n).slice(-2); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      " " + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function showVerdict(data, replay) {
    var verdict = data.verdict || {};
    var info = config.verdicts[verdict.code] || { label: verdict.code, severity: "bad" };
    $("cp-verdict-word").textContent = verdict.label || info.label;
    var notes = [];
    if (verdict.reason && words.reasons[verdict.reason]) notes.push(words.reasons[verdict.reason]);
    if (data.is_late) notes.push(format(words.late, { time: localTime(data.scanned_at) }));
    if (replay) notes.push(words.replay);
    $("cp-verdict-note").textContent = notes.join(" ");
    clearFacts();
    var pass = data.pass;
    var peer = data.peer_pass;
    if (!pass && peer) {
      $("cp-verdict-note").textContent = [format(words.issuedBy, peer)].concat(notes).join(" ");
      $("cp-v-plate").textContent = peer.plate;
      $("cp-v-enterprise").textContent = format(words.issuedBy, peer);
      $("cp-v-validity").textContent = localTime(peer.valid_from) + " " + words.validTo + " " + localTime(peer.valid_until);
      $("cp-v-number").textContent = peer.number.slice(0, 6) + " " + peer.number.slice(6);
      show($("cp-verdict-body"), true);
    } else if (pass) {
      $("cp-v-plate").textContent = pass.plate;
      $("cp-v-enterprise").textContent = pass.enterprise;
      $("cp-v-route").textContent = [pass.origin, pass.destination].filter(Boolean).join(" → ") +
        (pass.checkpoints.length ? "（" + pass.checkpoints.map(function (c) { return c.name; }).join("、") + "）" : "");
      $("cp-v-validity").textContent = localTime(pass.valid_from) + " " + words.validTo + " " + localTime(pass.valid_until);
      $("cp-v-number").textContent = pass.number.slice(0, 6) + " " + pass.number.slice(6);
      $("cp-v-drivers").textContent = pass.drivers.map(function (d) { return d.name + " " + d.id_number; }).join("；");
      $("cp-v-cargo").textContent = pass.cargo;
      show($("cp-verdict-body"), true);
    } else {
      $("cp-v-plate").textContent = data.number || "";
      if (!verdict.reason) $("cp-verdict-note").textContent = words.noPass + " " + $("cp-verdict-note").textContent;
      show($("cp-verdict-body"), false);
    }
    openVerdict(verdict.severity || info.severity);
  }

  $("cp-next").addEventListener("click", function () {
    show($("cp-verdict"), false);
    document.body.classList.remove("cp-verdict-open");
    $("cp-number").value = "";
    $("cp-plate").value = "";
    renderQueue();
    flushQueue();
    $("cp-camera-start").focus();
  });

  // --- Typed number and plate -------------------------------------------------------------
  $("cp-typed").addEventListener("submit", function (event) {
    event.preventDefault();
    var number = $("cp-number").value.replace(/\s+/g, "");
    var plate = $("cp-plate").value.trim();
    if (!number || !plate) {
      $("cp-typed-error").textContent = words.needBoth;
      show($("cp-typed-error"), true);
      return;
    }
    show($("cp-typed-error"), false);
    submitScan({ number: number, plate: plate });
  });

  // --- Camera -----------------------------------------------------------------------------
  var stream = null;
  var detector = null;
  var scanning = false;

  function cameraError(text) {
    $("cp-camera-error").textContent = text;
    show($("cp-camera-error"), true);
  }

  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    show($("cp-camera"), false);
    show($("cp-camera-start"), true);
  }

  function found(text) {
    if (!scanning) return;
    stopCamera();
    if (navigator.vibrate) navigator.vibrate(80);
    submitScan({ code: text });
  }

  function detectLoop() {
    if (!scanning) return;
    var video = $("cp-video");
    if (video.readyState < 2) { requestAnimationFrame(detectLoop); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) found(codes[0].rawValue); else setTimeout(detectLoop, 120);
      }, function () { detector = null; setTimeout(detectLoop, 120); });
      return;
    }
    if (window.jsQR) {
      var canvas = $("cp-canvas");
      var scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data) { found(code.data); return; }
    }
    setTimeout(detectLoop, 150);
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new BarcodeDetector({ formats: ["qr_code"] }) : null;
    }, function () { return null; });
  }

  $("cp-camera-start").addEventListener("click", function () {
    show($("cp-camera-error"), false);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraError(words.cameraUnavailable);
      return;
    }
    makeDetector().then(function (made) {
      detector = made;
      return navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } }, audio: false,
      });
    }).then(function (media) {
      stream = media;
      var video = $("cp-video");
      video.srcObject = media;
      show($("cp-camera"), true);
      show($("cp-camera-start"), false);
      scanning = true;
      return video.play().then(detectLoop);
    }).catch(function () {
      stopCamera();
      cameraError(words.cameraUnavailable);
    });
  });
  $("cp-camera-stop").addEventListener("click", stopCamera);

  render();
  renderAttention();
  flushQueue();
  syncOfflineCopy();
})();
