/* The driver's e-pass page (passes/driver/): keeps each e-pass opened on this phone, shows them
   all, judges their window by the phone's clock (offline too), refreshes them from the server
   when there is a network, and says how old what it shows is when there is none.

   Plain ES5 with XMLHttpRequest and no Intl: WeChat's and Alipay's in-app browsers run it, and
   the page reads the same without it (drawn by the server). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ep-config").textContent);
  var words = config.messages;
  var STORE = "passdesk.epass";
  var REFRESH_MS = 60000;
  var FRESH_MS = 30000;
  var BEIJING = 8 * 3600 * 1000; // China keeps UTC+8 all year
  var FIELDS = ["plate", "pass_type", "number", "valid_from_text", "valid_until_text", "route",
    "route_detail", "checkpoints", "driver_name", "driver_id", "enterprise"];
  var list = document.getElementById("ep-list");
  var blank = document.querySelector("#ep-blank .ep-card");
  var cards = [];

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name] === undefined ? all : values[name];
    });
  }
  function pad(n) { return ("0" + n).slice(-2); }
  function beijing(ms, seconds) {
    var b = new Date(ms + BEIJING);
    var text = b.getUTCFullYear() + "-" + pad(b.getUTCMonth() + 1) + "-" + pad(b.getUTCDate()) +
      " " + pad(b.getUTCHours()) + ":" + pad(b.getUTCMinutes());
    return seconds ? text + ":" + pad(b.getUTCSeconds()) : text;
  }
  // As passes.durations.elapsed and the inspector page write a time that has passed.
  function duration(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    if (seconds < 60) return words.underMinute;
    var days = Math.floor(seconds / 86400), hours = Math.floor(seconds % 86400 / 3600);
    var minutes = Math.floor(seconds % 3600 / 60);
    if (days) return format(words.daysHours, { days: days, hours: hours });
    if (hours) return format(words.hoursMinutes, { hours: hours, minutes: pad(minutes) });
    return format(words.minutes, { minutes: minutes });
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function keep(url, data) {
    var kept = load();
    if (data) kept[url] = data; else delete kept[url];
    try { window.localStorage.setItem(STORE, JSON.stringify(kept)); } catch (e) { /* full */ }
  }

  function field(el, name) { return el.querySelector('[data-f="' + name + '"]'); }
  function setText(el, name, value) {
    var node = field(el, name);
    if (node) node.textContent = value || "";
  }

  // The state as of now: revoked stays revoked; the window is judged by this phone's clock.
  function judge(data, now) {
    if (data.state === "gone" || data.state === "revoked") return [data.state, data.reason];
    if (now >= data.valid_until_ms) return ["expired", "expired"];
    if (now < data.valid_from_ms) return ["not_yet_valid", "not_yet_valid"];
    return ["valid", "valid"];
  }

  function reasonText(data, reason) {
    if (data.state === "gone") return data.reason_text || words.gone;
    var text = words.reasons[reason] || "";
    if (reason === "expired") return format(text, { time: data.valid_until_text });
    if (reason === "not_yet_valid") return format(text, { time: data.valid_from_text });
    return text;
  }

  function draw(card, now) {
    var el = card.el, data = card.data, judged = judge(data, now);
    el.setAttribute("data-state", judged[0]);
    el.setAttribute("data-offline", card.offline ? "true" : "false");
    setText(el, "state_label", words.states[judged[0]]);
    setText(el, "reason_text", reasonText(data, judged[1]));
    if (card.drawn !== data) { // the pass's facts change only with a refresh
      card.drawn = data;
      for (var i = 0; i < FIELDS.length; i++) setText(el, FIELDS[i], data[FIELDS[i]]);
      var plate = field(el, "plate");
      if (plate) plate.setAttribute("data-colour", data.plate_colour || "blue");
      var svg = el.querySelector(".ep-qr svg"), path = el.querySelector(".ep-qr path");
      if (data.qr_box) svg.setAttribute("viewBox", data.qr_box);
      path.setAttribute("d", data.qr_path || "");
    }
    var age = "";
    if (data.state !== "gone" && data.checked_at_ms) {
      var values = { age: duration(now - data.checked_at_ms), time: beijing(data.checked_at_ms) };
      age = format(card.offline ? words.offline : words.live, values);
    }
    setText(el, "age", age);
    var clock = el.querySelector("[data-clock]");
    if (clock) clock.textContent = beijing(now, true);
  }

  function refresh(card) {
    var request = new XMLHttpRequest();
    request.open("GET", card.url, true);
    request.setRequestHeader("Accept", "application/json");
    request.timeout = 15000;
    request.onload = function () {
      var data = null;
      try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      if (request.status === 200 && data && data.url) {
        card.data = data;
        card.offline = false;
        keep(card.url, data);
      } else if (request.status === 404 || request.status === 410) {
        card.data = { state: "gone", reason_text: data && data.reason_text };
        card.offline = false;
        keep(card.url, null); // a withdrawn link leaves nothing on the phone
      } else {
        card.offline = true; // throttled or failing: what is known stays, with its age
      }
      draw(card, Date.now());
    };
    request.onerror = request.ontimeout = function () {
      card.offline = true;
      draw(card, Date.now());
    };
    request.send();
  }

  function add(el, data) {
    var card = { el: el, url: data.url, data: data, offline: !navigator.onLine };
    cards.push(card);
    draw(card, Date.now());
    return card;
  }

  function start() {
    var kept = load(), now = Date.now(), shown = {};
    var first = list.querySelector(".ep-card[data-url]");
    if (first) {
      // The server-drawn card: its data came with the page, its QR code is in the page.
      var embedded = config.card;
      embedded.qr_path = first.querySelector(".ep-qr path").getAttribute("d");
      var newer = kept[embedded.url];
      var data = newer && newer.checked_at_ms > embedded.checked_at_ms ? newer : embedded;
      keep(data.url, data);
      shown[data.url] = true;
      add(first, data);
    }
    var urls = Object.keys(load()).sort(function (a, b) {
      return (kept[a] || {}).valid_until_ms - (kept[b] || {}).valid_until_ms;
    });
    for (var i = 0; i < urls.length; i++) {
      var other = load()[urls[i]];
      if (shown[urls[i]] || !other) continue;
      if (now - other.valid_until_ms > 86400000) { keep(urls[i], null); continue; } // long over
      var el = blank.cloneNode(true);
      el.setAttribute("data-url", urls[i]);
      list.appendChild(el);
      add(el, other);
    }
    var empty = document.getElementById("ep-empty");
    if (empty && cards.length) empty.hidden = true;
    // A card drawn from the server this very moment needs no refresh; a kept copy (this page
    // from the worker, other passes from storage) is refreshed at once.
    cards.forEach(function (card) {
      if (now - card.data.checked_at_ms > FRESH_MS || card.el !== first) refresh(card);
    });
  }

  start();
  setInterval(function () {
    var now = Date.now();
    for (var i = 0; i < cards.length; i++) draw(cards[i], now);
  }, 1000);
  setInterval(function () { cards.forEach(refresh); }, REFRESH_MS);
  window.addEventListener("online", function () { cards.forEach(refresh); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) cards.forEach(refresh);
  });

  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register(config.serviceWorkerUrl, { scope: config.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { waitForCopy(0); })
      .catch(function () { /* no offline copy: the page still works while open */ });
  }
  // Tells (data-offline-ready) when this page is kept for opening with no network.
  function waitForCopy(tries) {
    caches.match(location.pathname).then(function (kept) {
      if (kept) document.documentElement.setAttribute("data-offline-ready", "true");
      else if (tries < 60) setTimeout(function () { waitForCopy(tries + 1); }, 500);
    });
  }
})();
