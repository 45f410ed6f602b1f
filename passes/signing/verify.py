"""Offline pass verifier for a checkpoint laptop: no network, no database, no Django settings.

    python -m passes.verify --keys keys.json (--token TOKEN | --image photo.png)
                            [--revocations revocations.json] [--plate 湘B12345] [--at TIME]
                            [--trust peer-trust.json --pin FINGERPRINT ...] [--json]

``keys.json`` is what GET /api/v1/keys/ (or ``manage.py passdesk_keys export-public``) returns;
``revocations.json`` is what GET /api/v1/revocations/ returns (entries with status "revoked"
count; expiry is judged from the signed window itself). ``--token`` also takes the whole
verification URL. ``--trust`` (repeatable) adds a peer deployment's signed trust list (GET
/api/v1/trust/ of the peer), checked against the fingerprints given with ``--pin``: its offices'
passes then verify too, with the issuing office named; ``--revocations`` may be repeated (one
file per deployment's feed). ``--at`` is ISO 8601; without a zone it means Beijing time.

Exit status, by verdict: 0 valid, 3 not yet valid, 4 expired, 5 revoked, 6 plate mismatch,
7 forged (altered, unknown key or withdrawn key: see the printed reason), 2 unusable input
(no QR code in the image, unreadable keys file).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from . import trust as trust_format
from .tokens import (
    SHANGHAI,
    Keyring,
    TokenError,
    Verdict,
    group_number,
    raw_public_key,
    token_from_qr_text,
    verdict_for,
    verify_token,
)

EXIT_CODES = {
    Verdict.VALID: 0,
    Verdict.NOT_YET_VALID: 3,
    Verdict.EXPIRED: 4,
    Verdict.REVOKED: 5,
    Verdict.PLATE_MISMATCH: 6,
    Verdict.FORGED: 7,
}
EXIT_UNUSABLE = 2

MESSAGES = {
    Verdict.VALID: "VALID: genuine and within its validity window",
    Verdict.NOT_YET_VALID: "NOT YET VALID: genuine, but its window has not started",
    Verdict.EXPIRED: "EXPIRED: genuine, but its window has ended",
    Verdict.REVOKED: "REVOKED: genuine, but revoked by the issuing office",
    Verdict.PLATE_MISMATCH: "PLATE MISMATCH: genuine pass for another vehicle",
    Verdict.FORGED: "FORGED: not a genuine pass",
}


class UnusableInput(Exception):
    pass


def read_qr_image(path: str) -> list[str]:
    """Texts of the QR codes found in a picture (a photo or a rendered page)."""
    import zxingcpp
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except OSError as exc:
        raise UnusableInput(f"cannot read image {path}: {exc}") from exc
    return [result.text for result in results if result.valid]


def load_keys(path: str) -> Keyring:
    try:
        with open(path, encoding="utf-8") as handle:
            return Keyring.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnusableInput(f"cannot read keys file {path}: {exc}") from exc


def load_revocations(path: str | None) -> tuple[set[str], str | None]:
    if not path:
        return set(), None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        entries = data["revoked"] if isinstance(data, dict) else data
        numbers = {
            str(entry["number"]) for entry in entries if entry.get("status", "revoked") == "revoked"
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnusableInput(f"cannot read revocations file {path}: {exc}") from exc
    return numbers, data.get("until") if isinstance(data, dict) else None


def load_trust(paths, pins, keys: Keyring, at) -> list:
    """Add the keys of each peer trust list (verified against ``pins``) to ``keys``; the lists.
    A deployment's own keys (``--keys``) are never replaced by a peer's."""
    lists = []
    for path in paths or ():
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
            trust = trust_format.verify_trust_list(document, pinned=set(pins or ()), at=at)
        except (OSError, ValueError) as exc:
            raise UnusableInput(f"cannot read trust list {path}: {exc}") from exc
        except trust_format.TrustListError as exc:
            raise UnusableInput(f"trust list {path} refused ({exc.reason}): {exc}") from exc
        for kid, info in trust.keyring().keys.items():
            keys.keys.setdefault(kid, info)
        lists.append(trust)
    return lists


def issuer_of(kid: str, number: str, trust_lists, keys: Keyring):
    """``(found, Issuer | None)``: whether ``kid`` is a peer's key, and its office when the pass
    number lies in that office's region."""
    held = keys.get(kid)
    for trust in trust_lists:
        listed = trust.keyring().get(kid)
        if listed is not None and held is not None and _same_key(listed, held):
            return True, trust_format.issuer_for(trust, kid, number)
    return False, None


def _same_key(one, other) -> bool:
    return raw_public_key(one.key) == raw_public_key(other.key)


def parse_time(value: str | None) -> datetime.datetime:
    if not value:
        return datetime.datetime.now(datetime.UTC)
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _local(moment: datetime.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def check(
    text: str, keys: Keyring, revoked: set[str], plate: str | None, at, trust_lists=()
) -> dict:
    """The verdict on one scanned text, as a dict (printed as lines or JSON)."""
    try:
        claims = verify_token(token_from_qr_text(text), keys, at=at)
    except TokenError as error:
        return {"verdict": str(error.verdict), "reason": error.reason, "kid": error.kid}
    found, issuer = issuer_of(claims.kid, claims.number, trust_lists, keys)
    if found and issuer is None:
        return {
            "verdict": str(Verdict.FORGED),
            "reason": "outside_issuer_region",
            "kid": claims.kid,
        }
    verdict = verdict_for(claims, at=at, revoked_numbers=revoked, plate=plate)
    extra = {"issuer": issuer.as_dict()} if issuer else {}
    return {
        **extra,
        "verdict": str(verdict),
        "number": claims.number,
        "number_grouped": group_number(claims.number),
        "plate": claims.plate,
        "valid_from": _local(claims.valid_from),
        "valid_until": _local(claims.valid_until),
        "kid": claims.kid,
    }


def _print(outcome: dict, at, until: str | None, stream) -> None:
    verdict = Verdict(outcome["verdict"])
    print(MESSAGES[verdict], file=stream)
    if "number" in outcome:
        print(f"  pass number: {outcome['number_grouped']}", file=stream)
        print(f"  plate:       {outcome['plate']}", file=stream)
        window = f"{outcome['valid_from']} to {outcome['valid_until']} (Beijing time)"
        print(f"  valid:       {window}", file=stream)
        print(f"  signed by:   key {outcome['kid']}", file=stream)
        if outcome.get("issuer"):
            issuer = outcome["issuer"]
            line = f"{issuer['office']} ({issuer['region_code']}, {issuer['deployment']})"
            print(f"  issued by:   {line}, a trusted peer", file=stream)
    else:
        print(f"  reason:      {outcome['reason']}", file=stream)
        if outcome["reason"] == "unknown_key":
            print("  (the keys file may be out of date: fetch /api/v1/keys/)", file=stream)
    print(f"  checked at:  {_local(at)} (Beijing time)", file=stream)
    if until:
        print(f"  revocations: as of {until}", file=stream)


def main(argv=None, stream=None) -> int:
    stream = stream or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m passes.verify", description="Verify a pass's QR code offline."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--token", help="the token, or the whole verification URL")
    source.add_argument("--image", help="a picture holding the pass's QR code")
    parser.add_argument("--keys", required=True, help="JSON of GET /api/v1/keys/")
    parser.add_argument(
        "--revocations", action="append", help="JSON of GET /api/v1/revocations/ (repeatable)"
    )
    parser.add_argument(
        "--trust", action="append", help="a peer's signed trust list (GET /api/v1/trust/)"
    )
    parser.add_argument(
        "--pin", action="append", help="the pinned fingerprint of a peer's trust-list key"
    )
    parser.add_argument("--plate", help="the plate on the vehicle, to compare")
    parser.add_argument("--at", help="judge at this time (ISO 8601; default now)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    try:
        at = parse_time(args.at)
        keys = load_keys(args.keys)
        trust_lists = load_trust(args.trust, args.pin, keys, at)
        revoked, until = set(), None
        for path in args.revocations or ():
            numbers, until = load_revocations(path)
            revoked |= numbers
        if args.image:
            texts = read_qr_image(args.image)
            if not texts:
                raise UnusableInput(f"no QR code found in {args.image}")
            text = texts[0]
        else:
            text = args.token
    except (UnusableInput, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    outcome = check(text, keys, revoked, args.plate, at, trust_lists)
    if args.json:
        print(json.dumps(outcome, ensure_ascii=False), file=stream)
    else:
        _print(outcome, at, until, stream)
    return EXIT_CODES[Verdict(outcome["verdict"])]


if __name__ == "__main__":
    sys.exit(main())
