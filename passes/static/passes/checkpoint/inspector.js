/* passdesk checkpoint page: choose the checkpoint, scan or type, show the verdict full screen.
 * Scans go to POST /api/v1/scans/ with a random nonce and the device time; without a network
 * they are checked on the phone (offline.js), wait in localStorage and are uploaded later (the
 * server marks them late). Times are shown in Beijing time whatever the phone's time zone; each
 * verdict has its own sound. A service worker keeps the page itself for reloads offline. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("cp-config").textContent);
  var words = JSON.parse(document.getElementById("cp-messages").textContent);
  var CHECKPOINT_KEY = "passdesk.checkpoint";
  var QUEUE_KEY = "passdesk.scanQueue";
  var DECISIONS_KEY = "passdesk.decisionQueue";
  var ATTENTION_KEY = "passdesk.attention";
  var MAX_QUEUE = 500;
  var offline = window.PassdeskOffline;
  var urls = { keys: config.keysUrl, revocations: config.revocationsUrl, passes: config.activePassesUrl };

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.hidden = !on; }
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function loadList(key) {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }

  // --- Beijing time, whatever the phone's zone ------------------------------------------------
  var BEIJING_OFFSET = 8 * 3600 * 1000; // Asia/Shanghai has no daylight saving time
  function pad(n) { return ("0" + n).slice(-2); }
  function beijingTime(value) {
    var date = new Date(value);
    if (!value || isNaN(date)) return value || "";
    var b = new Date(date.getTime() + BEIJING_OFFSET);
    return b.getUTCFullYear() + "-" + pad(b.getUTCMonth() + 1) + "-" + pad(b.getUTCDate()) +
      " " + pad(b.getUTCHours()) + ":" + pad(b.getUTCMinutes());
  }
  // Sentences one after another: Chinese puts no space after its full stop.
  function sentences(parts) {
    var chinese = /^zh/i.test(document.documentElement.lang || "");
    return parts.filter(Boolean).join(chinese ? "" : " ");
  }

  // The end of a window as the PDF and the public page write it: a midnight is 24:00 of the
  // day before ("2026-12-13 24:00", not "2026-12-14 00:00", which leaves the 14th in doubt).
  function beijingEnd(value) {
    var date = new Date(value);
    if (!value || isNaN(date)) return value || "";
    var b = new Date(date.getTime() + BEIJING_OFFSET);
    if (b.getUTCHours() === 0 && b.getUTCMinutes() === 0) {
      return beijingTime(new Date(date.getTime() - 86400000)).slice(0, 10) + " 24:00";
    }
    return beijingTime(value);
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400), hours = Math.floor(seconds % 86400 / 3600);
    var minutes = Math.floor(seconds % 3600 / 60);
    if (days) return format(words.daysHours, { days: days, hours: hours });
    if (hours) return format(words.hoursMinutes, { hours: hours, minutes: minutes });
    return format(words.minutes, { minutes: minutes });
  }

  // --- Sounds, one per verdict (WebAudio, nothing downloaded) -----------------------------------
  var SOUNDS = {
    ok: { wave: "sine", notes: [[880, 0.12], [0, 0.04], [1320, 0.2]] },
    warn: { wave: "triangle", notes: [[620, 0.15], [0, 0.08], [620, 0.15], [0, 0.08], [620, 0.15]] },
    bad: { wave: "square", notes: [[196, 0.7]] },
  };
  var audio = null;
  function playSound(severity) {
    var sound = SOUNDS[severity];
    $("cp-verdict").dataset.sound = sound ? severity : "";
    if (!sound) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var at = audio.currentTime + 0.01;
      sound.notes.forEach(function (note) {
        if (note[0]) {
          var oscillator = audio.createOscillator(), gain = audio.createGain();
          oscillator.type = sound.wave;
          oscillator.frequency.value = note[0];
          gain.gain.setValueAtTime(0.25, at);
          gain.gain.exponentialRampToValueAtTime(0.001, at + note[1]);
          oscillator.connect(gain).connect(audio.destination);
          oscillator.start(at);
          oscillator.stop(at + note[1]);
        }
        at += note[1];
      });
    } catch (e) { /* no audio on this phone: the colour and the word remain */ }
    if (navigator.vibrate) navigator.vibrate(severity === "bad" ? [300, 100, 300] : 80);
  }

  // --- Checkpoint, once per shift -------------------------------------------------------
  function currentCheckpoint() {
    var code = localStorage.getItem(CHECKPOINT_KEY);
    for (var i = 0; i < config.checkpoints.length; i++) {
      if (config.checkpoints[i].code === code) return config.checkpoints[i];
    }
    return null;
  }
  function checkpointName(code) {
    for (var i = 0; i < config.checkpoints.length; i++) {
      if (config.checkpoints[i].code === code) return config.checkpoints[i].name;
    }
    return code;
  }

  function render() {
    var checkpoint = currentCheckpoint();
    show($("cp-choose"), !checkpoint);
    show($("cp-scan"), !!checkpoint);
    $("cp-app").dataset.state = checkpoint ? "scan" : "choose";
    if (checkpoint) $("cp-at-name").textContent = checkpoint.name;
    renderQueue();
    renderAge();
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

  // --- Age of the offline copies, always on the scan page -----------------------------------
  function renderAge() {
    var age = offline ? offline.listsAge() : null;
    var line = $("cp-lists-age");
    if (!age || !age.asOf) {
      line.textContent = words.listsNone;
      line.dataset.stale = "true";
      return;
    }
    var text = format(words.listsAsOf, { time: beijingTime(age.asOf), age: duration(age.ageSeconds) });
    if (age.stale) text += " " + words.listsTooOld;
    line.textContent = text;
    line.dataset.stale = age.stale ? "true" : "false";
  }
  setInterval(renderAge, 30000);

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

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(data),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function saveQueue(queue) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(queue.slice(-MAX_QUEUE)));
    renderQueue();
  }
  function renderQueue() {
    var count = loadList(QUEUE_KEY).length;
    show($("cp-queue"), count > 0);
    $("cp-queue-text").textContent = format(words.queued, { count: count });
  }
  function keptForGood(status) {
    // Accepted (201/200 replay) or refused for good (400/404/409): it leaves the queue.
    // Logged out (401/403) or a server fault (5xx): keep it and try again later.
    return status < 500 && status !== 401 && status !== 403;
  }

  var flushing = false;
  function flushQueue() {
    if (flushing) return Promise.resolve();
    var queue = loadList(QUEUE_KEY);
    if (!queue.length) return flushDecisions();
    flushing = true;
    var scan = queue[0];
    return post(config.scanUrl, scan).then(function (result) {
      flushing = false;
      if (keptForGood(result.status)) {
        noteIfNotValid(scan, result);
        saveQueue(loadList(QUEUE_KEY).filter(function (s) { return s.nonce !== scan.nonce; }));
        return flushQueue();
      }
    }, function () { flushing = false; });
  }

  // Decisions on off-route vehicles wait for their scan's upload, then follow it.
  function flushDecisions() {
    var waiting = loadList(QUEUE_KEY).map(function (s) { return s.nonce; });
    var ready = loadList(DECISIONS_KEY).filter(function (d) { return waiting.indexOf(d.nonce) < 0; });
    if (!ready.length) return Promise.resolve();
    var decision = ready[0];
    return post(config.decisionUrl, decision).then(function (result) {
      if (keptForGood(result.status)) {
        localStorage.setItem(DECISIONS_KEY, JSON.stringify(
          loadList(DECISIONS_KEY).filter(function (d) { return d.nonce !== decision.nonce; })));
        return flushDecisions();
      }
    }, function () { /* offline: later */ });
  }

  // Scans uploaded late whose server verdict is not "valid" (e.g. revoked since the phone's
  // copy of the list): the inspector is told, since the truck has already passed.
  function describeScan(scan, body) {
    var pass = (body && body.pass) || {};
    var number = pass.number || (body && body.number) || "";
    var plate = pass.plate || scan.plate || "";
    if ((!number || !plate) && scan.code && offline) {
      var claims = offline.decode(scan.code);
      if (claims) { number = number || claims.number; plate = plate || claims.plate; }
    }
    if (!number && !plate) return words.unreadableCode;
    return [number ? number.slice(0, 6) + " " + number.slice(6) : "", plate].filter(Boolean).join(" ");
  }
  function noteIfNotValid(scan, result) {
    var verdict = result.body && result.body.verdict;
    if (!verdict || verdict.severity === "ok") return;
    var notes = loadList(ATTENTION_KEY);
    notes.push({ what: describeScan(scan, result.body), label: verdict.label, at: scan.scanned_at });
    localStorage.setItem(ATTENTION_KEY, JSON.stringify(notes.slice(-20)));
    renderAttention();
  }
  function renderAttention() {
    var notes = loadList(ATTENTION_KEY);
    var list = $("cp-attention-list");
    list.textContent = "";
    notes.forEach(function (note) {
      var item = document.createElement("li");
      item.textContent = beijingTime(note.at) + " " + note.what + ": " + note.label;
      list.appendChild(item);
    });
    show($("cp-attention"), notes.length > 0);
  }
  $("cp-attention-dismiss").addEventListener("click", function () {
    localStorage.removeItem(ATTENTION_KEY);
    renderAttention();
  });

  function syncOfflineCopy() {
    if (!offline || navigator.onLine === false) return Promise.resolve();
    return offline.sync(urls).catch(function () { /* keep the last copy */ }).then(renderAge);
  }
  // The moment the network is back: upload what waits and refresh the copies.
  window.addEventListener("online", function () {
    flushQueue();
    syncOfflineCopy();
  });
  setInterval(function () { if (navigator.onLine !== false) flushQueue(); }, 30000);
  setInterval(syncOfflineCopy, 5 * 60 * 1000);
  $("cp-queue-upload").addEventListener("click", flushQueue);

  var current = null; // the scan on screen
  function submitScan(fields) {
    var checkpoint = currentCheckpoint();
    if (!checkpoint) { render(); return; }
    var scan = {
      checkpoint: checkpoint.code,
      nonce: newNonce(),
      scanned_at: new Date().toISOString(),
    };
    Object.keys(fields).forEach(function (key) { scan[key] = fields[key]; });
    current = scan;
    showChecking();
    post(config.scanUrl, scan).then(function (result) {
      if (result.status === 200 || result.status === 201) {
        showVerdict(result.body, result.status === 200, scan);
      } else if (result.status === 401 || result.status === 403) {
        saveQueue(loadList(QUEUE_KEY).concat([scan]));
        showMessage("bad", words.sessionExpired);
      } else if (result.status >= 500) {
        saveQueue(loadList(QUEUE_KEY).concat([scan]));
        checkOffline(scan);
      } else {
        var error = (result.body && result.body.error) || {};
        var fieldErrors = error.fields && error.fields.number;
        showMessage("bad", fieldErrors ? fieldErrors[0] : format(words.serverError, { message: error.message || result.status }));
      }
    }, function () {
      saveQueue(loadList(QUEUE_KEY).concat([scan]));
      checkOffline(scan);
    });
  }

  // No answer from the server: the phone checks the QR code (signature, copied revocation
  // list, validity window, route) or the typed number and plate (copied list of passes).
  function checkOffline(scan) {
    if (!offline) { showOffline(); return; }
    var checking = scan.code
      ? offline.check(scan.code, scan.plate, scan.checkpoint)
      : offline.restore(urls).then(function () { return offline.checkTyped(scan.number, scan.plate, scan.checkpoint); });
    checking.then(function (outcome) {
      if (outcome) showOfflineVerdict(outcome, scan); else showOffline();
    }, showOffline);
  }

  // --- Verdict screen ---------------------------------------------------------------------
  var ICONS = { ok: "✔", warn: "!", bad: "✖", info: "…" };
  var FACTS = ["plate", "typed-plate", "status", "enterprise", "route", "validity", "number", "drivers", "cargo"];

  function openVerdict(severity) {
    stopCamera();
    var screen = $("cp-verdict");
    screen.dataset.severity = severity;
    delete screen.dataset.offline;
    delete screen.dataset.stale;
    $("cp-verdict-icon").textContent = ICONS[severity] || "";
    show(screen, true);
    document.body.classList.add("cp-verdict-open");
    playSound(severity);
    // The verdict word first: focusing the button (kept in view at the bottom) must not scroll
    // a long verdict (a revocation with its reason, off route, old lists) down past it.
    $("cp-next").focus({ preventScroll: true });
    screen.scrollTop = 0;
  }

  function clearFacts() {
    FACTS.forEach(function (name) { $("cp-v-" + name).textContent = ""; });
    $("cp-v-plate").dataset.colour = "blue";
    show($("cp-v-typed-row"), false);
    show($("cp-v-status-row"), false);
    show($("cp-decide"), false);
    $("cp-decided").textContent = "";
  }

  function showChecking() {
    clearFacts();
    $("cp-verdict-word").textContent = words.checking;
    $("cp-verdict-note").textContent = "";
    show($("cp-verdict-body"), false);
    var screen = $("cp-verdict");
    screen.dataset.severity = "info";
    $("cp-verdict-icon").textContent = ICONS.info;
    show(screen, true);
    document.body.classList.add("cp-verdict-open");
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
    $("cp-verdict").dataset.offline = "true";
  }

  // plates.plate_colour's rule; the offline list carries its yellow bit.
  function plateColour(plate, yellow) {
    if ((plate || "").length === 8) return yellow ? "yellow-green" : "green";
    if (yellow || /挂$/.test(plate || "")) return "yellow";
    return "blue";
  }

  function setTypedPlate(typed, passPlate) {
    if (!typed) return;
    var normal = offline ? offline.normalizePlate(typed) : typed;
    $("cp-v-typed-plate").textContent = normal;
    $("cp-v-typed-row").dataset.matches = normal === passPlate ? "true" : "false";
    show($("cp-v-typed-row"), true);
  }

  function setStatus(text) {
    if (!text) return;
    $("cp-v-status").textContent = text;
    show($("cp-v-status-row"), true);
  }

  function routeNames(codesOrCheckpoints) {
    return (codesOrCheckpoints || []).map(function (c) { return typeof c === "string" ? checkpointName(c) : c.name; }).join("、");
  }

  function statusText(verdict, facts, scannedAt) {
    if (verdict === "revoked") {
      var parts = [];
      if (facts.revokedAt) parts.push(format(words.revokedOn, { time: beijingTime(facts.revokedAt) }));
      if (facts.revokedReason) parts.push(format(words.revokedBecause, { reason: words.revocationCodes[facts.revokedReason] || facts.revokedReason }));
      return sentences(parts);
    }
    if (verdict === "expired" && facts.validUntil) {
      var ago = (new Date(scannedAt) - new Date(facts.validUntil)) / 1000;
      return format(words.expiredAgo, { age: duration(ago), time: beijingEnd(facts.validUntil) });
    }
    if (verdict === "not_yet_valid" && facts.validFrom) {
      return format(words.startsAt, { time: beijingTime(facts.validFrom) });
    }
    if (verdict === "off_route") {
      return format(words.offRoute, { here: checkpointName(current && current.checkpoint), route: routeNames(facts.route) });
    }
    return "";
  }

  function validityText(from, until) {
    return beijingTime(from) + " " + words.validTo + " " + beijingEnd(until) + " " + words.beijingTime;
  }

  function offerDecision(verdict) {
    if (verdict !== "off_route") return;
    show($("cp-decide"), true);
  }

  function showOfflineVerdict(outcome, scan) {
    var info = config.verdicts[outcome.verdict];
    clearFacts();
    var severity = info.severity;
    var age = outcome.age || {};
    var notes = [];
    if (outcome.reason && words.reasons[outcome.reason]) notes.push(words.reasons[outcome.reason]);
    if (outcome.reason === "not_on_list") {
      notes.push(words.offlineNotListed);
      if (age.asOf) notes.push(format(words.issuedSinceCopy, { time: beijingTime(age.asOf) }));
    }
    notes.push(words.offlineChecked);
    if (age.asOf) notes.push(format(words.listsAsOf, { time: beijingTime(age.asOf), age: duration(age.ageSeconds) }));
    $("cp-verdict-word").textContent = info.label;
    if (outcome.reason === "not_on_list") {
      // Not proof of a forgery: a pass issued after the copy was made is not on it either.
      severity = "warn";
      $("cp-verdict-word").textContent = words.notOnLocalList;
    }
    if (age.stale) {
      // Copies past the office's maximum age: a green verdict cannot be trusted.
      notes.unshift(format(words.staleVerdict, { verdict: info.label }));
      if (severity === "ok") {
        severity = "warn";
        $("cp-verdict-word").textContent = words.staleTitle;
      }
    }
    if (outcome.issuer) notes.unshift(format(words.issuedBy, outcome.issuer));
    $("cp-verdict-note").textContent = sentences(notes);
    var claims = outcome.claims;
    if (claims) {
      $("cp-v-plate").textContent = claims.plate || "";
      $("cp-v-plate").dataset.colour = plateColour(claims.plate, outcome.yellow);
      if (claims.validFrom) $("cp-v-validity").textContent = validityText(claims.validFrom, claims.validUntil);
      $("cp-v-number").textContent = claims.number.slice(0, 6) + " " + claims.number.slice(6);
      $("cp-v-enterprise").textContent = outcome.issuer ? format(words.issuedBy, outcome.issuer) : words.offlineUnknown;
      if (outcome.route && outcome.route.length) $("cp-v-route").textContent = routeNames(outcome.route);
      if (scan.plate) setTypedPlate(scan.plate, claims.plate);
      setStatus(statusText(outcome.verdict, {
        revokedAt: outcome.revokedAt, revokedReason: outcome.revokedReason,
        validFrom: claims.validFrom, validUntil: claims.validUntil, route: outcome.route,
      }, scan.scanned_at));
      show($("cp-verdict-body"), true);
    } else {
      show($("cp-verdict-body"), false);
    }
    openVerdict(severity);
    $("cp-verdict").dataset.offline = "true";
    $("cp-verdict").dataset.verdict = outcome.verdict;
    if (age.stale) $("cp-verdict").dataset.stale = "true";
    offerDecision(outcome.verdict);
  }

  function showVerdict(data, replay, scan) {
    var verdict = data.verdict || {};
    var info = config.verdicts[verdict.code] || { label: verdict.code, severity: "bad" };
    $("cp-verdict-word").textContent = verdict.label || info.label;
    var notes = [];
    if (verdict.reason && words.reasons[verdict.reason]) notes.push(words.reasons[verdict.reason]);
    if (data.is_late) notes.push(format(words.late, { time: beijingTime(data.scanned_at) }));
    if (replay) notes.push(words.replay);
    $("cp-verdict-note").textContent = sentences(notes);
    clearFacts();
    var pass = data.pass;
    var peer = data.peer_pass;
    if (!pass && peer) {
      $("cp-verdict-note").textContent = sentences([format(words.issuedBy, peer)].concat(notes));
      $("cp-v-plate").textContent = peer.plate;
      $("cp-v-enterprise").textContent = format(words.issuedBy, peer);
      $("cp-v-validity").textContent = localTime(peer.valid_from) + " " + words.validTo + " " + localTime(peer.valid_until);
      $("cp-v-number").textContent = peer.number.slice(0, 6) + " " + peer.number.slice(6);
      show($("cp-verdict-body"), true);
    } else if (pass) {
      $("cp-v-plate").textContent = pass.plate;
      $("cp-v-plate").dataset.colour = pass.plate_colour || "blue";
      setTypedPlate(data.plate || (scan && scan.plate), pass.plate);
      $("cp-v-enterprise").textContent = pass.enterprise;
      $("cp-v-route").textContent = [pass.origin, pass.destination].filter(Boolean).join(" → ") +
        (pass.checkpoints.length ? "（" + routeNames(pass.checkpoints) + "）" : "");
      $("cp-v-validity").textContent = validityText(pass.valid_from, pass.valid_until);
      $("cp-v-number").textContent = pass.number.slice(0, 6) + " " + pass.number.slice(6);
      $("cp-v-drivers").textContent = pass.drivers.map(function (d) { return d.name + " " + d.id_number; }).join("；");
      $("cp-v-cargo").textContent = pass.cargo;
      setStatus(statusText(verdict.code, {
        revokedAt: pass.revoked_at, revokedReason: pass.revocation_reason,
        validFrom: pass.valid_from, validUntil: pass.valid_until, route: pass.checkpoints,
      }, data.scanned_at));
      show($("cp-verdict-body"), true);
    } else {
      $("cp-v-plate").textContent = data.number || "";
      if (!verdict.reason) $("cp-verdict-note").textContent = words.noPass + " " + $("cp-verdict-note").textContent;
      show($("cp-verdict-body"), false);
    }
    openVerdict(verdict.severity || info.severity);
    $("cp-verdict").dataset.verdict = verdict.code;
    offerDecision(verdict.code);
    if (data.decision) markDecided(data.decision);
  }

  function markDecided(decision) {
    show($("cp-decide"), false);
    $("cp-decided").textContent = format(words.decided, { decision: words.decisions[decision] });
  }

  function decide(decision) {
    if (!current) return;
    var item = { nonce: current.nonce, decision: decision };
    localStorage.setItem(DECISIONS_KEY, JSON.stringify(loadList(DECISIONS_KEY).concat([item])));
    markDecided(decision);
    flushDecisions();
  }
  $("cp-let-through").addEventListener("click", function () { decide("let_through"); });
  $("cp-turn-back").addEventListener("click", function () { decide("turned_back"); });

  $("cp-next").addEventListener("click", function () {
    show($("cp-verdict"), false);
    document.body.classList.remove("cp-verdict-open");
    $("cp-number").value = "";
    $("cp-plate").value = "";
    renderQueue();
    renderAge();
    flushQueue();
    $("cp-camera-start").focus();
  });

  // --- Typed number and plate -------------------------------------------------------------
  function typedError(text) {
    $("cp-typed-error").textContent = text;
    show($("cp-typed-error"), true);
  }
  $("cp-typed").addEventListener("submit", function (event) {
    event.preventDefault();
    var number = offline ? offline.normalizeNumber($("cp-number").value) : $("cp-number").value.replace(/\s+/g, "");
    var plate = $("cp-plate").value.trim();
    if (!number || !plate) { typedError(words.needBoth); return; }
    if (!/^[0-9]{12}$/.test(number)) { typedError(words.malformedNumber); return; }
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


  // --- Installable, and loads with no network -----------------------------------------------
  if ("serviceWorker" in navigator && config.serviceWorkerUrl) {
    navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.scope })
      .catch(function () { /* the page still works online */ });
  }

  render();
  renderAttention();
  var restored = offline ? offline.restore(urls).then(renderAge, renderAge) : Promise.resolve();
  restored.then(function () {
    flushQueue();
    return syncOfflineCopy();
  }).then(function () { document.documentElement.dataset.offlineReady = "true"; });
})();
