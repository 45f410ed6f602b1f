"""Issuing figures: one-pass PDF render time, pages per second for a 500-pass request in one
PDF, offline token verifications per second, and the same with 50 peer offices' keys loaded.

Runs without the database: the passes are made in memory (``PassSheet``), signed with a fresh
in-memory key, with varied numbers, plates and driver names so that no run reuses another's
font subset or QR code. The font is parsed once before timing (a worker does that once).
"""

from __future__ import annotations

import base64
import datetime
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.utils import translation

from passes.issuing.pdf import fonts as pdf_fonts
from passes.issuing.pdf import sheet as pdf
from passes.signing import tokens as signing
from passes.signing import trust as trust_format

from . import measure_cpu, report, report_rate

SHANGHAI = signing.SHANGHAI
BATCH_PAGES = 500
VERIFY_TOKENS = 2000
PEER_OFFICES = 50
# Uncommon characters for driver names, so each run has some glyphs of its own.
RARE = "琰珺璐瑾翊昊晟曦骞麒霈濛灏彧翀蕤鋆锘炜焱煜熠"


def _signer() -> signing.Signer:
    private = Ed25519PrivateKey.generate()
    return signing.Signer(signing.key_id_for(private.public_key()), private)


def make_sheet(signer: signing.Signer, index: int) -> pdf.PassSheet:
    number = f"430200{index % 1_000_000:06d}"
    plate = f"湘B{index % 100000:05d}"
    valid_from = datetime.datetime(2026, 11, 28, tzinfo=SHANGHAI)
    valid_until = valid_from + datetime.timedelta(days=7)
    token = signing.sign_claims(
        signer, number=number, plate=plate, valid_from=valid_from, valid_until=valid_until
    )
    rare = RARE[index % len(RARE)] + RARE[(index * 7 + 3) % len(RARE)]
    return pdf.PassSheet(
        number=number,
        plate=plate,
        pass_type="城区货车通行证",  # noqa: S106 - not a password
        enterprise="株洲市荷塘区顺达物流有限责任公司",
        credit_code="91430200MA4L8X1234",
        vehicle_type="重型货车",
        drivers=[(f"张{rare}", "430202********1234"), ("李建国", "430202********5678")],
        cargo="原材料 · 木材原料 20 吨",
        origin="株洲市荷塘区金山工业园",
        destination="长沙市雨花区黎托物流园",
        route="金山路—红旗北路—沪昆高速株洲东收费站—京港澳高速—长沙东收费站—万家丽路",
        checkpoints=["湘江大桥卡口", "沪昆高速株洲东卡口"],
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=valid_from - datetime.timedelta(hours=3),
        qr_text=signing.verification_url(token, settings.PASSDESK_PUBLIC_BASE_URL),
        token=token,
        kid=signer.kid,
        short_url="127.0.0.1:8000/v/",
    )


def run(stdout, runs: int) -> None:
    signer = _signer()
    title = settings.PASSDESK_OFFICE_TITLE
    start = time.perf_counter()
    pdf_fonts.font()
    stdout.write(f"  font parse (once per process): {(time.perf_counter() - start) * 1000:.0f} ms")

    with translation.override(settings.LANGUAGE_CODE):
        counter = iter(range(10_000, 1_000_000))

        def one_pass():
            # Signing and drawing one pass, as the download view does after a lookup.
            sheet = make_sheet(signer, next(counter))
            pdf.render_sheets([sheet], title)

        wall, cpu = measure_cpu(one_pass, max(runs, 5) * 3, warmup=2)
        report(stdout, "single-pass PDF (sign + render), wall", wall)
        report(stdout, "single-pass PDF (sign + render), CPU", cpu)

        batch_runs = max(1, min(runs, 3))
        rates, cpu_rates, sizes = [], [], []
        for run_index in range(batch_runs):
            sheets = [make_sheet(signer, run_index * BATCH_PAGES + i) for i in range(BATCH_PAGES)]
            begin, begin_cpu = time.perf_counter(), time.process_time()
            data = pdf.render_sheets(sheets, title)
            cpu_rates.append(BATCH_PAGES / (time.process_time() - begin_cpu))
            rates.append(BATCH_PAGES / (time.perf_counter() - begin))
            sizes.append(len(data))
        label = f"{BATCH_PAGES}-pass request in one PDF"
        report_rate(stdout, f"{label}, wall", rates, "pages/s")
        report_rate(stdout, f"{label}, per CPU second", cpu_rates, "pages/s")
        stdout.write(f"    ({sizes[-1] / BATCH_PAGES / 1024:.1f} KiB a page)")

    keyring = signing.Keyring()
    keyring.add(signing.PublicKeyInfo(signer.kid, signer.private_key.public_key()))
    tokens = [make_sheet(signer, i).token for i in range(VERIFY_TOKENS)]
    now = datetime.datetime.now(datetime.UTC)
    rates, cpu_rates = [], []
    for _ in range(max(runs, 3)):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        for token in tokens:
            claims = signing.verify_token(token, keyring, at=now)
            signing.verdict_for(claims, now, ())
        cpu_rates.append(VERIFY_TOKENS / (time.process_time() - begin_cpu))
        rates.append(VERIFY_TOKENS / (time.perf_counter() - begin))
    label = "offline token verification (decode + Ed25519 + verdict)"
    report_rate(stdout, f"{label}, wall", rates, "/s")
    report_rate(stdout, f"{label}, per CPU second", cpu_rates, "/s")

    _peer_verification(stdout, runs, signer, keyring)


def _peer_trust_lists(now) -> list[tuple[dict, str, list[signing.Signer], str]]:
    """50 peer offices, each in its own deployment's signed trust list with two keys."""
    made = []
    for index in range(PEER_OFFICES):
        region = f"{440100 + index:06d}"
        signers = [_signer(), _signer()]
        keys = [
            {
                "kid": one.kid,
                "public_key": base64.b64encode(
                    signing.raw_public_key(one.private_key.public_key())
                ).decode(),
            }
            for one in signers
        ]
        trust_key = Ed25519PrivateKey.generate()
        payload = {
            "deployment": {"name": f"peer {index}", "url": f"https://peer{index}.invalid"},
            "sequence": index + 1,
            "issued_at": now,
            "expires_at": now + datetime.timedelta(days=7),
            "offices": [{"name": f"office {index}", "region_code": region, "keys": keys}],
        }
        document = trust_format.sign_trust_list(payload, trust_key)
        made.append((document, trust_format.fingerprint(trust_key.public_key()), signers, region))
    return made


def _peer_verification(stdout, runs, own_signer, own_keyring) -> None:
    """Offline verification with 50 peer offices' keys loaded: the keyring holds 101 keys and
    each token is also mapped to its issuing office (``issuer_for``), as the verifiers do."""
    now = datetime.datetime.now(datetime.UTC)
    made = _peer_trust_lists(now)
    begin = time.perf_counter()
    lists = [
        trust_format.verify_trust_list(document, pinned=pin, at=now)
        for document, pin, _signers, _region in made
    ]
    load_ms = (time.perf_counter() - begin) * 1000
    stdout.write(f"  loading {PEER_OFFICES} peer trust lists (verify + parse): {load_ms:.1f} ms")
    keyring = signing.Keyring(dict(own_keyring.keys))
    owner = {}
    for trust in lists:
        for kid, info in trust.keyring().keys.items():
            keyring.add(info)
            owner[kid] = trust
    valid_from = datetime.datetime(2026, 11, 28, tzinfo=SHANGHAI)
    tokens = []
    for index in range(VERIFY_TOKENS):
        _document, _pin, signers, region = made[index % PEER_OFFICES]
        tokens.append(
            signing.sign_claims(
                signers[index % 2],
                number=f"{region}{index:06d}",
                plate=f"湘A{index % 100000:05d}",
                valid_from=valid_from,
                valid_until=valid_from + datetime.timedelta(days=7),
            )
        )
    rates, cpu_rates = [], []
    for _ in range(max(runs, 3)):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        for token in tokens:
            claims = signing.verify_token(token, keyring, at=now)
            issuer = trust_format.issuer_for(owner[claims.kid], claims.kid, claims.number)
            if issuer is None:
                raise AssertionError("a peer token lost its issuer")
            signing.verdict_for(claims, now, ())
        cpu_rates.append(VERIFY_TOKENS / (time.process_time() - begin_cpu))
        rates.append(VERIFY_TOKENS / (time.perf_counter() - begin))
    label = f"offline verification of peer passes, {PEER_OFFICES} peer offices loaded"
    report_rate(stdout, f"{label}, wall", rates, "/s")
    report_rate(stdout, f"{label}, per CPU second", cpu_rates, "/s")
    interval = settings.PASSDESK_TRUST_PULL_SECONDS
    stdout.write(
        f"  revocation at a peer -> refused here: at most {interval} s (the pull interval, "
        "PASSDESK_TRUST_PULL_SECONDS) + one pull (see docs/verification.md for the measured run)"
    )
