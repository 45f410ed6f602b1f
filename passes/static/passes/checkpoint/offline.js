/* passdesk offline check: verify a pass on the phone when the network is gone.
 *
 * While online the page keeps copies of the public keys (GET /api/v1/keys/) and of the
 * revocation feed (GET /api/v1/revocations/?since=...) in localStorage, and of the office's
 * signed list of active passes (GET /api/v1/checkpoint/active-passes/) in Cache Storage (it
 * can be megabytes). Offline, a scanned QR code or a typed number + plate is checked here
 * exactly as passes/signing/tokens.py, passes/signing/passlist.py and `python -m
 * passes.verify` do: base32 token, Ed25519 signature (WebCrypto), withdrawn keys, then
 * revoked > plate mismatch > not yet valid > expired > off route > valid. The list holds no
 * number and no plate in clear: each entry is found by a slow hash (PBKDF2-HMAC-SHA256, the
 * list's salt and iterations) of number and plate together, computed once per look-up, so a
 * wrong plate typed offline is "unknown" like a wrong number (docs/security.md). The list holds
 * the passes of the inspector's offices: another office's pass is judged without its route.
 * The scan is still queued and judged again by the server.
 *
 * Token v1: version(1) kid(4) number(5) valid_from(4) valid_until(4) plate(n, UTF-8) sig(64).
 * List (format 2) entry: tag(8) valid_from(4) valid_until(4) route(2) flags(1).
 */
(function () {
  "use strict";

  var KEYS_KEY = "passdesk.keys";
  var REVOKED_KEY = "passdesk.revoked";
  var LIST_SYNCED_KEY = "passdesk.passListSyncedAt";
  var DATA_CACHE = "passdesk-data-v1";
  // Numbers revoked by trusted peer offices (GET /api/v1/trust/keys/ carries them).
  var PEER_REVOKED_KEY = "passdesk.peerRevoked";
  var VERIFY_PATH = "/v/";
  var LIST_FORMAT = 2;
  var ENTRY_SIZE = 19;
  var TAG_SIZE = 8;
  var MAX_ITERATIONS = 10000000;
  var ANY_CHECKPOINT = 0xffff;

  var passList = null; // the verified, decoded list in memory

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }

  function getJson(url, credentials) {
    // "no-cache": asked again each time (the keys are cacheable for 5 minutes, too long for a
    // key just rotated in).
    return fetch(url, { credentials: credentials || "omit", cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  // --- Keeping the keys, the revocation list and the list of active passes ------------------
  function syncRevocations(feedUrl, state, pages) {
    var url = feedUrl + (state.until ? "?since=" + encodeURIComponent(state.until) : "");
    return getJson(url).then(function (data) {
      data.revoked.forEach(function (entry) {
        if (entry.status === "revoked") state.numbers[entry.number] = entry.at;
        if (entry.status === "revoked" && entry.reason) {
          state.reasons = state.reasons || {};
          state.reasons[entry.number] = entry.reason;
        }
      });
      state.until = data.until;
      state.syncedAt = new Date().toISOString();
      localStorage.setItem(REVOKED_KEY, JSON.stringify(state));
      if (data.more && pages > 1) return syncRevocations(feedUrl, state, pages - 1);
      return state;
    });
  }

  /* The list through the network when there is one (kept in Cache Storage), else the kept
   * copy: the page works the same after a reload with no network. */
  function fetchKept(url) {
    var request = new Request(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return fetch(request).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      var copy = response.clone();
      return caches.open(DATA_CACHE).then(function (cache) { return cache.put(url, copy); })
        .then(function () { localStorage.setItem(LIST_SYNCED_KEY, new Date().toISOString()); return response.json(); });
    });
  }

  function keptList(url) {
    if (!window.caches) return Promise.resolve(null);
    return caches.match(url).then(function (response) { return response ? response.json() : null; });
  }

  function syncKeys(url) {
    return getJson(url).then(function (data) {
      localStorage.setItem(KEYS_KEY, JSON.stringify(data));
      if (data.peer_revoked) localStorage.setItem(PEER_REVOKED_KEY, JSON.stringify(data.peer_revoked));
    });
  }

  function sync(urls) {
    var keys = syncKeys(urls.keys);
    var revoked = syncRevocations(urls.revocations, load(REVOKED_KEY, { numbers: {}, until: null }), 20);
    var list = urls.passes && window.caches ? keys.then(function () {
      return fetchKept(urls.passes).then(function (document) {
        // Signed with a key newer than the copied keys (just rotated): copy the keys again.
        if (keyFor(document.kid)) return readList(document);
        return syncKeys(urls.keys).then(function () { return readList(document); });
      });
    }) : Promise.resolve(null);
    return Promise.all([keys, revoked, list]);
  }

  /* After a reload: the kept copies, without the network. */
  function restore(urls) {
    if (!urls.passes || passList) return Promise.resolve(passList);
    return keptList(urls.passes).then(function (document) {
      return document ? readList(document) : null;
    }).catch(function () { return null; });
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

  function padNumber(value) {
    var number = String(value);
    while (number.length < 12) number = "0" + number;
    return number;
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
    return {
      kid: hex(blob.slice(1, 5)),
      number: padNumber(readUint(blob, 5, 5)),
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

  /* "４３０２００　０００１２３" or "430200-000123" -> "430200000123" (as the server does). */
  function normalizeNumber(value) {
    return (value || "").normalize("NFKC").replace(/[\s\-_·.]/g, "");
  }

  function isWellFormedNumber(value) {
    return /^[0-9]{12}$/.test(value);
  }

  function keyFor(kid, now) {
    var keys = load(KEYS_KEY, null);
    if (!keys) return null;
    return (keys.keys || []).filter(function (k) { return k.kid === kid; })[0] || null;
  }

  function ed25519Verify(publicKey, signature, data) {
    return crypto.subtle.importKey("raw", base64Bytes(publicKey), { name: "Ed25519" }, false, ["verify"])
      .then(function (key) { return crypto.subtle.verify({ name: "Ed25519" }, key, signature, data); });
  }

  // --- The signed list of active passes ------------------------------------------------------
  function readList(document) {
    var entry = keyFor(document.kid);
    // A list of another format (format 1 held numbers in clear) is not used: the next copy is.
    if (!entry || document.format !== LIST_FORMAT || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    var payloadBytes = new TextEncoder().encode(document.payload);
    return ed25519Verify(entry.public_key, base64Bytes(document.signature), payloadBytes)
      .then(function (genuine) {
        if (!genuine) return null;
        passList = null;
        var payload = JSON.parse(document.payload);
        var kdf = payload.kdf || {};
        if (kdf.name !== "PBKDF2-HMAC-SHA256" || !(kdf.iterations >= 1 && kdf.iterations <= MAX_ITERATIONS)) return null;
        passList = {
          generatedAt: new Date(payload.generated_at),
          maxAgeSeconds: payload.max_age_seconds,
          routes: payload.routes,
          blob: base64Bytes(payload.entries),
          count: payload.count,
          salt: base64Bytes(kdf.salt),
          iterations: kdf.iterations,
          tags: {}, // number|plate -> tag, for this list: a vehicle scanned twice costs one hash
        };
        return passList;
      }, function () { return null; });
  }

  /* The slow tag of a number and a plate (passes/signing/passlist.py entry_tag). */
  function tagFor(list, number, plate) {
    var text = number + "|" + normalizePlate(plate);
    if (list.tags[text]) return Promise.resolve(list.tags[text]);
    return crypto.subtle.importKey("raw", new TextEncoder().encode(text), "PBKDF2", false, ["deriveBits"])
      .then(function (key) {
        return crypto.subtle.deriveBits(
          { name: "PBKDF2", hash: "SHA-256", salt: list.salt, iterations: list.iterations }, key, TAG_SIZE * 8);
      })
      .then(function (bits) {
        list.tags[text] = new Uint8Array(bits);
        return list.tags[text];
      });
  }

  function compareTag(blob, at, tag) {
    for (var i = 0; i < TAG_SIZE; i++) {
      if (blob[at + i] !== tag[i]) return blob[at + i] < tag[i] ? -1 : 1;
    }
    return 0;
  }

  /* Resolves to the listed pass with this number and this plate, or null. */
  function findListed(number, plate) {
    var list = passList;
    if (!list || !isWellFormedNumber(number) || !normalizePlate(plate)) return Promise.resolve(null);
    return tagFor(list, number, plate).then(function (tag) {
      var blob = list.blob;
      var low = 0, high = blob.length / ENTRY_SIZE - 1;
      while (low <= high) {
        var middle = (low + high) >> 1;
        var at = middle * ENTRY_SIZE;
        var order = compareTag(blob, at, tag);
        if (order === 0) {
          var route = readUint(blob, at + 16, 2);
          return {
            number: number,
            validFrom: new Date(readUint(blob, at + 8, 4) * 1000),
            validUntil: new Date(readUint(blob, at + 12, 4) * 1000),
            route: route === ANY_CHECKPOINT ? [] : list.routes[route],
            yellow: (blob[at + 18] & 1) === 1,
          };
        }
        if (order < 0) low = middle + 1; else high = middle - 1;
      }
      return null;
    });
  }

  // --- Age of the copies -----------------------------------------------------------------------
  /* The oldest of the copies (revocations and active passes) and whether the office's maximum
   * age has passed. */
  function listsAge(now) {
    now = now || new Date();
    var revoked = load(REVOKED_KEY, {});
    var times = [];
    if (revoked.syncedAt) times.push(new Date(revoked.syncedAt));
    if (passList) times.push(passList.generatedAt);
    if (!times.length) return { asOf: null, stale: true, maxAgeSeconds: null };
    var oldest = new Date(Math.min.apply(null, times.map(Number)));
    var maxAge = passList ? passList.maxAgeSeconds : null;
    return {
      asOf: oldest,
      ageSeconds: (now - oldest) / 1000,
      maxAgeSeconds: maxAge,
      stale: maxAge !== null && (now - oldest) / 1000 > maxAge,
    };
  }

  // --- Checking ------------------------------------------------------------------------------
  /* ``peer``: the issuing peer office of a pass from a trusted deployment (its revocations come
   * with the trust keys); its route is that office's business, so it is not judged here. */
  function judge(number, plate, validFrom, validUntil, route, now, typedPlate, checkpoint, peer) {
    var revoked = load(REVOKED_KEY, { numbers: {} });
    if (revoked.numbers[number]) return { verdict: "revoked", revokedAt: revoked.numbers[number], revokedReason: (revoked.reasons || {})[number] };
    if (peer && load(PEER_REVOKED_KEY, []).indexOf(number) >= 0) return { verdict: "revoked" };
    if (typedPlate && normalizePlate(typedPlate) !== plate) return { verdict: "plate_mismatch" };
    if (now < validFrom) return { verdict: "not_yet_valid" };
    if (now >= validUntil) return { verdict: "expired" };
    if (checkpoint && route && route.length && route.indexOf(checkpoint) < 0) return { verdict: "off_route" };
    return { verdict: "valid" };
  }

  function finish(result, claims, listed) {
    result.reason = result.reason || "";
    result.claims = claims;
    result.route = listed ? listed.route : null;
    result.yellow = listed ? listed.yellow : false;
    result.age = listsAge();
    return result;
  }

  /* Resolves to {verdict, reason, claims, route, age} or null when this phone cannot tell
   * (no keys copied yet, or no Ed25519 in this browser). */
  function check(text, typedPlate, checkpoint, now) {
    now = now || new Date();
    if (!load(KEYS_KEY, null) || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    var claims = decode(text);
    if (!claims) return Promise.resolve(finish({ verdict: "forged", reason: "malformed" }, null));
    var entry = keyFor(claims.kid);
    if (!entry) return Promise.resolve(finish({ verdict: "forged", reason: "unknown_key" }, claims));
    return ed25519Verify(entry.public_key, claims.signature, claims.payload)
      .then(function (genuine) {
        if (!genuine) return finish({ verdict: "forged", reason: "forged" }, claims);
        if (entry.withdrawn_at && new Date(entry.withdrawn_at) <= now) {
          return finish({ verdict: "forged", reason: "withdrawn_key" }, claims);
        }
        var issuer = peerIssuer(entry, claims);
        if (issuer === false) return finish({ verdict: "forged", reason: "outside_issuer_region" }, claims);
        var lookup = issuer ? Promise.resolve(null) : findListed(claims.number, claims.plate);
        return lookup.then(function (listed) {
          var result = judge(claims.number, claims.plate, claims.validFrom, claims.validUntil,
            listed ? listed.route : null, now, typedPlate, checkpoint, issuer);
          result = finish(result, claims, listed);
          result.issuer = issuer;
          return result;
        });
      }, function () {
        return null; // this browser has no Ed25519 in WebCrypto: cannot tell offline
      });
  }

  /* A typed number and plate against the copied lists. */
  function checkTyped(number, typedPlate, checkpoint, now) {
    now = now || new Date();
    number = normalizeNumber(number);
    if (!passList || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    var revoked = load(REVOKED_KEY, { numbers: {} });
    var plate = normalizePlate(typedPlate);
    var claims = { number: number, plate: plate };
    if (revoked.numbers[number]) {
      return Promise.resolve(finish({ verdict: "revoked", revokedAt: revoked.numbers[number], revokedReason: (revoked.reasons || {})[number] }, claims));
    }
    return findListed(number, plate).then(function (listed) {
      // A wrong plate and a wrong number look the same: the phone holds neither in clear.
      if (!listed) return finish({ verdict: "unknown", reason: "not_on_list" }, claims);
      claims.validFrom = listed.validFrom;
      claims.validUntil = listed.validUntil;
      var result = judge(number, plate, listed.validFrom, listed.validUntil, listed.route, now, null, checkpoint);
      return finish(result, claims, listed);
    });
  }

  window.PassdeskOffline = {
    sync: sync,
    restore: restore,
    check: check,
    checkTyped: checkTyped,
    decode: decode,
    listsAge: listsAge,
    normalizeNumber: normalizeNumber,
    normalizePlate: normalizePlate,
    isWellFormedNumber: isWellFormedNumber,
  };
})();
