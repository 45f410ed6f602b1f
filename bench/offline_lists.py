"""The lists an inspector's phone copies for offline checks: the signed list of active passes
(``GET /api/v1/checkpoint/active-passes/``) for 10,000 and 100,000 active passes: its size on
the phone and over the wire (gzip), the server's time to build and sign it on each refresh
(its passes' slow tags already made: ``offline_list_cost`` measures those, one per pass, once),
and the phone's time to verify and decode it (headless Chromium, the WebCrypto and base64 steps
``offline.js`` takes, on a list of the same format and size; skipped without Chromium).

For each size a throw-away PostgreSQL database (``PASSDESK_BENCH_OFFLINE_DB``, default
``passdesk_bench_offline``) is created, migrated, seeded and dropped; the build runs in a child
process against it. Environment: ``PASSDESK_BENCH_PG`` (postgres://postgres@127.0.0.1:5432),
``PASSDESK_BENCH_OFFLINE_SIZES`` (10000,100000).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from passes.signing.passlist import ENTRY_SIZE

from . import machine_line, report
from .scans import BASE_DIR, _admin_conn, _server_env

DB_NAME = os.environ.get("PASSDESK_BENCH_OFFLINE_DB", "passdesk_bench_offline")


def _recreate(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _drop(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _one_size(stdout, pg_url, workdir: Path, size: int, runs: int) -> None:
    env = _server_env(pg_url, workdir / "keys")
    env["DATABASE_URL"] = f"{pg_url}/{DB_NAME}"
    _recreate(pg_url)
    try:
        subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=600,
        )
        out = workdir / f"offline-{size}.json"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "bench._offline_lists_data",
                str(out),
                str(size),
                str(runs),
            ],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=1800,
        )
        data = json.loads(out.read_text())
    finally:
        _drop(pg_url)
    stdout.write(
        f"  {data['count']} active passes ({data['routes']} distinct routes; seeded in "
        f"{data['seeded_seconds']:.0f} s):"
    )
    stdout.write(
        f"    on the phone: {data['entry_bytes'] / 1e6:.2f} MB of entries, "
        f"{data['bytes'] / 1e6:.2f} MB signed JSON; "
        f"over the wire gzip {data['gzip_bytes'] / 1e6:.2f} MB"
    )
    report(stdout, "  refresh: build + sign, wall", data["wall"], unit="ms")
    report(stdout, "  refresh: build + sign, CPU of the web process", data["cpu"], unit="ms")


CHROMIUM = "/usr/bin/chromium"
_PHONE_JS = """async ([doc, pub]) => {
  const b64 = t => { const r = atob(t); const o = new Uint8Array(r.length);
    for (let i = 0; i < r.length; i++) o[i] = r.charCodeAt(i); return o; };
  const t0 = performance.now();
  const k = await crypto.subtle.importKey("raw", b64(pub), {name: "Ed25519"}, false, ["verify"]);
  const ok = await crypto.subtle.verify(
    {name: "Ed25519"}, k, b64(doc.signature), new TextEncoder().encode(doc.payload));
  const p = JSON.parse(doc.payload);
  const blob = b64(p.entries);
  const salt = b64(p.kdf.salt);
  return [ok, blob.length, (performance.now() - t0) / 1000, salt.length];
}"""


def _synthetic_document(size: int, key) -> tuple[dict, str]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from passes.signing.passlist import KDF_NAME, pack_entry

    # Random tags stand in for the slow hashes: the phone's decoding does not look at them.
    blob = b"".join(
        sorted(
            pack_entry(
                secrets.token_bytes(8),
                valid_from=1764000000,
                valid_until=1766000000,
                route=n % 60,
                flags=0,
            )
            for n in range(size)
        )
    )
    payload = json.dumps(
        {
            "generated_at": "2026-11-29T20:00:00.000000Z",
            "max_age_seconds": 86400,
            "kdf": {
                "name": KDF_NAME,
                "iterations": 600000,
                "salt": base64.b64encode(secrets.token_bytes(16)).decode(),
            },
            "routes": [["bridge-0", "bridge-1"]] * 60,
            "count": size,
            "entries": base64.b64encode(blob).decode(),
        },
        separators=(",", ":"),
    )
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    document = {
        "signature": base64.b64encode(key.sign(payload.encode())).decode(),
        "payload": payload,
    }
    return document, base64.b64encode(public).decode()


def _phone_side(stdout, sizes, runs) -> None:
    if not Path(CHROMIUM).exists():
        stdout.write(f"  phone side: skipped ({CHROMIUM} not installed)")
        return
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from playwright.sync_api import sync_playwright

    key = Ed25519PrivateKey.generate()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()
        # A localhost origin: WebCrypto needs a secure context.
        page.route(
            "http://localhost/**",
            lambda route: route.fulfill(body="<p>phone</p>", content_type="text/html"),
        )
        page.goto("http://localhost/phone")
        for size in sizes:
            document, public = _synthetic_document(size, key)
            samples = []
            for _ in range(runs):
                genuine, length, seconds, _salt = page.evaluate(_PHONE_JS, [document, public])
                if not genuine or length != size * ENTRY_SIZE:
                    raise RuntimeError("the phone could not verify the synthetic list")
                samples.append(seconds)
            report(stdout, f"phone side, {size} passes: verify + decode", samples, unit="ms")
        browser.close()


def run(stdout, runs: int) -> None:
    pg_url = os.environ.get("PASSDESK_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    sizes = [
        int(value)
        for value in os.environ.get("PASSDESK_BENCH_OFFLINE_SIZES", "10000,100000").split(",")
    ]
    stdout.write(f"  PostgreSQL on loopback; {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="passdesk-bench-offline-") as tmp:
        for size in sizes:
            _one_size(stdout, pg_url, Path(tmp), size, runs)
    _phone_side(stdout, sizes, runs)
