"""What it costs to turn an inspector's offline list back into pass numbers and plates
(docs/security.md, "The inspector's offline list"), measured on this machine's one core.

Each entry of the list is found by PBKDF2-HMAC-SHA256 of number and plate together; whoever
holds a copy can only guess pairs and hash each guess. This section measures the hash rate on
one core (OpenSSL through ``hashlib``, as a guesser without a GPU would run it), counts the
plates the validators accept, and prints the cost per pass for a guesser who knows the
province, and one who knows the city, next to the bound (one core-year per pass), the server's
one-off cost per pass and the phone's per look-up (headless Chromium's WebCrypto, when
``/usr/bin/chromium`` is there: a desktop core, faster than a phone's).

``python manage.py benchmark offline_list_cost [--runs N]``
"""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

from django.conf import settings

from . import machine_line, report, summary

CORE_YEAR = 365 * 24 * 3600
SERIALS = 10**6  # 6-digit serials after the 6-digit region code

# Plates ``validators.validate_plate`` accepts after the province character and the city letter.
_LETTERS = 24  # A-Z without I and O
_DIGITS = 10
_ALNUM = _LETTERS + _DIGITS
PLATES_PER_CITY = (
    _ALNUM**4 * (_ALNUM + 1)  # ordinary: 4 letters-or-digits, then one more or 挂
    + 2 * _ALNUM * _DIGITS**4  # new-energy, small: D/F, a letter or digit, 4 digits
    + _DIGITS**5 * 2  # new-energy, large: 5 digits, then D/F
)
PLATES_PER_PROVINCE = PLATES_PER_CITY * _LETTERS


def _guess_seconds(iterations: int, runs: int) -> list[float]:
    from passes.signing.passlist import entry_tag

    salt = b"\x01" * 16
    entry_tag("430200000001", "湘B12345", salt=salt, iterations=iterations)  # warm up
    samples = []
    for serial in range(runs):
        start = time.process_time()
        entry_tag(f"430200{serial:06d}", "湘B12345", salt=salt, iterations=iterations)
        samples.append(time.process_time() - start)
    return samples


def _old_hmac_rate() -> float:
    """Guesses per second against format 1 (a fast HMAC, its key in the list), for contrast."""
    key, count = b"\x02" * 16, 200_000
    start = time.process_time()
    for n in range(count):
        hmac.new(key, f"430200000001|湘B{n:05d}|1764000000|1766000000".encode(), hashlib.sha256)
    return count / (time.process_time() - start)


_PHONE_JS = """async ([iterations, runs]) => {
  const salt = new Uint8Array(16).fill(1), out = [];
  for (let n = 0; n <= runs; n++) {
    const t0 = performance.now();
    const key = await crypto.subtle.importKey(
      "raw", new TextEncoder().encode("430200" + String(n).padStart(6, "0") + "|湘B12345"),
      "PBKDF2", false, ["deriveBits"]);
    await crypto.subtle.deriveBits(
      {name: "PBKDF2", hash: "SHA-256", salt, iterations}, key, 64);
    out.push((performance.now() - t0) / 1000);
  }
  return out.slice(1);
}"""
CHROMIUM = "/usr/bin/chromium"


def _browser_lookup(iterations: int, runs: int) -> list[float] | None:
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()
        page.route(  # a localhost origin: WebCrypto needs a secure context
            "http://localhost/**",
            lambda route: route.fulfill(body="<p>phone</p>", content_type="text/html"),
        )
        page.goto("http://localhost/phone")
        samples = page.evaluate(_PHONE_JS, [iterations, runs])
        browser.close()
    return samples


def _years(seconds: float) -> str:
    if seconds >= CORE_YEAR:
        return f"{seconds / CORE_YEAR:,.1f} core-years"
    return f"{seconds / 86400:,.0f} core-days ({seconds / CORE_YEAR:.2f} core-years)"


def run(stdout, runs: int) -> None:
    iterations = settings.PASSDESK_OFFLINE_LIST_ITERATIONS
    runs = max(runs, 3)
    stdout.write(f"  {machine_line()}")
    stdout.write(
        f"  PBKDF2-HMAC-SHA256, {iterations:,} iterations (PASSDESK_OFFLINE_LIST_ITERATIONS)"
    )
    samples = _guess_seconds(iterations, runs)
    report(stdout, "one guess (= one tag) on one core, CPU", samples, unit="ms")
    guess = summary(samples)["min"]  # the guesser's best: the fastest run counts
    stdout.write(
        f"  fastest: {iterations / guess:,.0f} iterations/s, {1 / guess:.2f} guesses/s "
        "(the costs below use it)"
    )
    stdout.write(
        f"  plates the validators accept: {PLATES_PER_CITY:,} per city letter, "
        f"{PLATES_PER_PROVINCE:,} per province"
    )
    stdout.write(
        "  cost per pass, the whole list guessed at once (every listed pass found by the same "
        "sweep; serials dense: the number adds nothing per pass):"
    )
    province = PLATES_PER_PROVINCE * guess
    city = PLATES_PER_CITY * guess
    verdict = "meets" if province >= CORE_YEAR else "BELOW"
    stdout.write(f"    province known: {_years(province)}  ({verdict} the bound: 1 core-year)")
    stdout.write(f"    city known:     {_years(city)}  (a city's own trucks, searched first)")
    stdout.write(
        "  cost for one given pass (its number unknown, 10^6 serials, province plates): "
        f"{SERIALS * PLATES_PER_PROVINCE * guess / 2 / CORE_YEAR:,.3g} core-years on average"
    )
    old = _old_hmac_rate()
    stdout.write(
        f"  format 1 for contrast (number in clear, fast HMAC, key in the list): {old:,.0f} "
        f"guesses/s, {PLATES_PER_CITY / old:.0f} s per pass for a city, "
        f"{PLATES_PER_PROVINCE / old / 60:.0f} min for a province"
    )
    stdout.write(
        f"  server: one tag per pass, once (kept in OfflineTag): {guess * 1000:.0f} ms CPU; "
        f"2,000 new passes {2000 * guess / 60:.1f} min, 100,000 {100_000 * guess / 3600:.1f} h"
    )
    phone = _browser_lookup(iterations, runs)
    if phone is None:
        stdout.write(f"  phone side: skipped ({CHROMIUM} not installed)")
    else:
        report(stdout, "one look-up in headless Chromium (WebCrypto), wall", phone, unit="ms")
