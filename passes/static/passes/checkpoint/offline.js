/* passdesk offline check: verify a pass's signed token on the phone when the network is gone.
 *
 * While online the page keeps a copy of the public keys (GET /api/v1/keys/) and of the
 * revocation feed (GET /api/v1/revocations/?since=...) in localStorage. Offline, a scanned QR
 * code is checked here exactly as passes/signing/tokens.py and `python -m passes.verify` do:
 * base32 token, Ed25519 signature (WebCrypto), withdrawn keys, then revoked > plate mismatch >
 * not yet valid > expired > valid. The scan is still queued and judged again by the server.
 *
 * Token v1: version(1) kid(4) number(5) valid_from(4) valid_until(4) plate(n, UTF-8) sig(64).
 */
(function () {
  "use strict";

  var KEYS_KEY = "passdesk.keys";
  var REVOKED_KEY = "passdesk.revoked";
  // Numbers revoked by trusted peer offices (GET /api/v1/trust/keys/ carries them).
  var PEER_REVOKED_KEY = "passdesk.peerRevoked";
  var VERIFY_PATH = "/v/";

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }

  function getJson(url) {
    return fetch(url, { credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  // --- Keeping the keys and the revocation list -------------------------------------------
  function syncRevocations(feedUrl, state, pages) {
    var url = feedUrl + (state.until ? "?since=" + encodeURIComponent(state.until) : "");
    return getJson(url).then(function (data) {
      data.revoked.forEach(function (entry) {
        if (entry.status === "revoked") state.numbers[entry.number] = entry.at;
      });
      state.until = data.until;
      state.syncedAt = new Date().toISOString();
      localStorage.setItem(REVOKED_KEY, JSON.stringify(state));
      if (data.more && pages > 1) return syncRevocations(feedUrl, state, pages - 1);
      return state;
    });
  }

  function sync(urls) {
    var keys = getJson(urls.keys).then(function (data) {
      localStorage.setItem(KEYS_KEY, JSON.stringify(data));
      if (data.peer_revoked) localStorage.setItem(PEER_REVOKED_KEY, JSON.stringify(data.peer_revoked));
    });
    var revoked = syncRevocations(urls.revocations, load(REVOKED_KEY, { numbers: {}, until: null }), 20);
    return Promise.all([keys, revoked]);
  }

  // --- Decoding -----------------------------------------------------------------------------
  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  function base32Decode(text) {
    var bits = 0, value = 0, out = [];
    for (var i = 0; i < text.length; i++) {
      var index = B32.indexOf(text[i]);
      if (index < 0) return null;
      value = (value << 5) | index;
      bits += 5;
      if (bits >= 8) {
        out.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return new Uint8Array(out);
  }

  function tokenFromText(text) {
    text = (text || "").trim();
    var at = text.lastIndexOf(VERIFY_PATH);
    if (at >= 0) text = text.slice(at + VERIFY_PATH.length).split(/[/?#]/)[0];
    return text.toUpperCase();
  }

  function readUint(bytes, start, size) {
    var value = 0;
    for (var i = start; i < start + size; i++) value = value * 256 + bytes[i];
    return value;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function decode(text) {
    var token = tokenFromText(text);
    if (!/^[A-Z2-7]+$/.test(token) || token.length > 200) return null;
    var blob = base32Decode(token);
    var plateSize = blob ? blob.length - 18 - 64 : -1;
    if (plateSize < 1 || plateSize > 32 || blob[0] !== 1) return null;
    var payload = blob.slice(0, blob.length - 64);
    var plate;
    try {
      plate = new TextDecoder("utf-8", { fatal: true }).decode(payload.slice(18));
    } catch (e) { return null; }
    var number = String(readUint(blob, 5, 5));
    while (number.length < 12) number = "0" + number;
    return {
      kid: hex(blob.slice(1, 5)),
      number: number,
      validFrom: new Date(readUint(blob, 10, 4) * 1000),
      validUntil: new Date(readUint(blob, 14, 4) * 1000),
      plate: plate,
      payload: payload,
      signature: blob.slice(blob.length - 64),
    };
  }

  function base64Bytes(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // The mirror of passes.validators.normalize_plate (NFKC, separators, case); both are run
  // over tests/signing/plate_cases.json.
  function normalizePlate(value) {
    return (value || "").normalize("NFKC").replace(/[\s·•‧∙.\-_・]/g, "").toUpperCase();
  }

  // A peer office's key (it names its office): {office, region_code, deployment}; false when it
  // signs outside the office's region code (as passes/signing/trust.py issuer_for); null: ours.
  function peerIssuer(entry, claims) {
    if (!entry.office) return null;
    if (claims.number.indexOf(entry.region_code) !== 0) return false;
    return { office: entry.office, region_code: entry.region_code, deployment: entry.deployment };
  }

  // --- Checking ------------------------------------------------------------------------------
  /* Resolves to {verdict, reason, claims, revokedAsOf} or null when this phone cannot tell
   * (no keys copied yet, or no Ed25519 in this browser). */
  function check(text, typedPlate, now) {
    now = now || new Date();
    var keys = load(KEYS_KEY, null);
    if (!keys || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    var claims = decode(text);
    if (!claims) return Promise.resolve({ verdict: "forged", reason: "malformed" });
    var entry = (keys.keys || []).filter(function (k) { return k.kid === claims.kid; })[0];
    if (!entry) return Promise.resolve({ verdict: "forged", reason: "unknown_key" });
    return crypto.subtle.importKey("raw", base64Bytes(entry.public_key), { name: "Ed25519" }, false, ["verify"])
      .then(function (key) {
        return crypto.subtle.verify({ name: "Ed25519" }, key, claims.signature, claims.payload);
      })
      .then(function (genuine) {
        if (!genuine) return { verdict: "forged", reason: "forged" };
        if (entry.withdrawn_at && new Date(entry.withdrawn_at) <= now) {
          return { verdict: "forged", reason: "withdrawn_key" };
        }
        var revoked = load(REVOKED_KEY, { numbers: {} });
        var issuer = peerIssuer(entry, claims);
        if (issuer === false) return { verdict: "forged", reason: "outside_issuer_region" };
        var peerRevoked = issuer ? load(PEER_REVOKED_KEY, []) : [];
        var verdict = "valid";
        if (revoked.numbers[claims.number] || peerRevoked.indexOf(claims.number) >= 0) verdict = "revoked";
        else if (typedPlate && normalizePlate(typedPlate) !== claims.plate) verdict = "plate_mismatch";
        else if (now < claims.validFrom) verdict = "not_yet_valid";
        else if (now >= claims.validUntil) verdict = "expired";
        return { verdict: verdict, reason: "", claims: claims, issuer: issuer, revokedAsOf: revoked.syncedAt || null };
      }, function () {
        return null; // this browser has no Ed25519 in WebCrypto: cannot tell offline
      });
  }

  window.PassdeskOffline = { sync: sync, check: check, decode: decode, normalizePlate: normalizePlate };
})();
