"""Offline pass verifier for a checkpoint laptop: no network, no database, no Django settings.

    python -m passes.verify --keys keys.json
                            (--token TOKEN | --image photo.png | --number 430200000123)
                            [--revocations revocations.json] [--passes active-passes.json]
                            [--checkpoint CODE] [--plate 湘B12345] [--at TIME]
                            [--trust peer-trust.json --pin FINGERPRINT ...] [--json]

``keys.json`` is what GET /api/v1/keys/ (or ``manage.py passdesk_keys export-public``) returns;
``revocations.json`` is what GET /api/v1/revocations/ returns (entries with status "revoked"
count; expiry is judged from the signed window itself). ``active-passes.json`` is what
GET /api/v1/checkpoint/active-passes/ returns (signed by the office; verified with the keys):
with it a typed ``--number`` and ``--plate`` are checked (together: the list holds a slow hash of
both, so a wrong plate is "unknown" offline, as a wrong number is), and with ``--checkpoint``
(the code of the checkpoint where the laptop is) a route-bound pass is judged against its
route, as the server and the inspector's page do. ``--token`` also takes the whole verification URL.
``--trust`` (repeatable) adds a peer deployment's signed trust list (GET /api/v1/trust/ of the
peer), checked against the fingerprints given with ``--pin``: its offices' passes then verify
too, with the issuing office named; ``--revocations`` may be repeated (one file per
deployment's feed; the first is this deployment's own). ``--at`` is ISO 8601; without a zone it
means Beijing time. When the copied lists are older
than the office's maximum age (in the active-pass list), a verdict that would be valid is not
trusted: exit 10.

Exit status, by verdict: 0 valid, 3 not yet valid, 4 expired, 5 revoked, 6 plate mismatch,
7 forged (altered, unknown key or withdrawn key: see the printed reason), 8 unknown pass
(typed number not on the list), 9 off route, 10 lists too old to trust a valid verdict,
2 unusable input (no QR code in the image, unreadable keys file, a number that is not 12
digits).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from . import trust as trust_format
from .passlist import (
    ActivePassList,
    ListError,
    is_well_formed_number,
    normalize_number,
    read_list,
)
from .tokens import (
    SHANGHAI,
    Keyring,
    TokenClaims,
    TokenError,
    Verdict,
    group_number,
    normalize_plate,
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
    Verdict.UNKNOWN: 8,
    Verdict.OFF_ROUTE: 9,
}
EXIT_UNUSABLE = 2
EXIT_STALE = 10

MESSAGES = {
    Verdict.VALID: "VALID: genuine and within its validity window",
    Verdict.NOT_YET_VALID: "NOT YET VALID: genuine, but its window has not started",
    Verdict.EXPIRED: "EXPIRED: genuine, but its window has ended",
    Verdict.REVOKED: "REVOKED: genuine, but revoked by the issuing office",
    Verdict.PLATE_MISMATCH: "PLATE MISMATCH: genuine pass for another vehicle",
    Verdict.FORGED: "FORGED: not a genuine pass",
    Verdict.UNKNOWN: "UNKNOWN: no active pass with this number and plate on the copied list",
    Verdict.OFF_ROUTE: "OFF ROUTE: genuine and valid, but not for this checkpoint",
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


def parse_time(value: str | None) -> datetime.datetime:
    if not value:
        return datetime.datetime.now(datetime.UTC)
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _local(moment: datetime.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


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


def load_pass_list(path: str | None, keys: Keyring) -> ActivePassList | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return read_list(json.load(handle), keys)
    except (OSError, ValueError, ListError) as exc:
        raise UnusableInput(f"cannot use active-pass list {path}: {exc}") from exc


def _route(passes: ActivePassList | None, number: str, plate: str) -> tuple[str, ...] | None:
    listed = passes.lookup(number, plate) if passes is not None else None
    return listed.route if listed is not None else None


def _claims_outcome(claims, verdict, passes, route) -> dict:
    outcome = {
        "verdict": str(verdict),
        "number": claims.number,
        "number_grouped": group_number(claims.number),
        "plate": claims.plate,
        "valid_from": _local(claims.valid_from),
        "valid_until": _local(claims.valid_until),
        "kid": claims.kid,
    }
    if route:
        outcome["route"] = list(route)
    return outcome


def check(
    text: str,
    keys: Keyring,
    revoked: set[str],
    plate: str | None,
    at,
    trust_lists=(),
    *,
    passes: ActivePassList | None = None,
    checkpoint: str | None = None,
) -> dict:
    """The verdict on one scanned text, as a dict (printed as lines or JSON). The pass's route
    comes from the active-pass list when one is given; a peer's pass names its office."""
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
    route = _route(passes, claims.number, claims.plate)
    verdict = verdict_for(
        claims, at=at, revoked_numbers=revoked, plate=plate, checkpoint=checkpoint, route=route
    )
    outcome = _claims_outcome(claims, verdict, passes, route)
    if issuer:
        outcome["issuer"] = issuer.as_dict()
    return outcome


def check_typed(
    number: str,
    plate: str,
    revoked: set[str],
    at,
    *,
    passes: ActivePassList,
    checkpoint: str | None = None,
) -> dict:
    """The verdict on a number and plate typed from a pass, against the signed list."""
    number = normalize_number(number)
    if not is_well_formed_number(number):
        raise UnusableInput("a pass number has 12 digits")
    if number in revoked:
        return {"verdict": str(Verdict.REVOKED), "number": number, "reason": ""}
    listed = passes.lookup(number, plate)
    if listed is None:
        # A wrong plate looks the same as a wrong number: the list holds no number in clear.
        return {"verdict": str(Verdict.UNKNOWN), "number": number, "reason": "not_on_list"}
    claims = TokenClaims(
        number=number,
        plate=normalize_plate(plate),
        valid_from=listed.valid_from,
        valid_until=listed.valid_until,
        kid="",
    )
    verdict = verdict_for(
        claims, at=at, plate=plate, checkpoint=checkpoint, route=listed.route or None
    )
    outcome = _claims_outcome(claims, verdict, passes, listed.route)
    outcome["plate"] = normalize_plate(plate)
    return outcome


def mark_stale(outcome: dict, passes: ActivePassList | None, until: str | None, at) -> dict:
    """Flag an outcome judged on copies older than the office allows."""
    if passes is None:
        return outcome
    oldest = passes.generated_at
    if until:
        revocations_at = datetime.datetime.fromisoformat(until.replace("Z", "+00:00"))
        oldest = min(oldest, revocations_at)
    if at - oldest > passes.max_age:
        outcome["stale"] = True
        outcome["lists_as_of"] = _local(oldest)
    return outcome


def _print(outcome: dict, at, until: str | None, stream) -> None:
    verdict = Verdict(outcome["verdict"])
    print(MESSAGES[verdict], file=stream)
    if "valid_from" in outcome:
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
    if outcome.get("route"):
        print(f"  checkpoints: {', '.join(outcome['route'])}", file=stream)
    print(f"  checked at:  {_local(at)} (Beijing time)", file=stream)
    if until:
        print(f"  revocations: as of {until}", file=stream)
    if outcome.get("stale"):
        print(
            f"  LISTS TOO OLD: copied {outcome['lists_as_of']} (Beijing time), past the "
            "office's maximum age: do not trust a valid verdict; refresh the lists",
            file=stream,
        )


def main(argv=None, stream=None) -> int:
    stream = stream or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m passes.verify", description="Verify a pass's QR code offline."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--token", help="the token, or the whole verification URL")
    source.add_argument("--image", help="a picture holding the pass's QR code")
    source.add_argument("--number", help="the pass number typed from the pass (with --plate)")
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
    parser.add_argument(
        "--passes", help="JSON of GET /api/v1/checkpoint/active-passes/ (signed by the office)"
    )
    parser.add_argument("--checkpoint", help="code of the checkpoint where the pass is seen")
    parser.add_argument("--plate", help="the plate on the vehicle, to compare")
    parser.add_argument("--at", help="judge at this time (ISO 8601; default now)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    try:
        at = parse_time(args.at)
        keys = load_keys(args.keys)
        passes = load_pass_list(args.passes, keys)
        trust_lists = load_trust(args.trust, args.pin, keys, at)
        revoked, until = set(), None
        for index, path in enumerate(args.revocations or ()):
            numbers, as_of = load_revocations(path)
            revoked |= numbers
            if index == 0:
                until = as_of  # this deployment's own feed dates the copied lists

        if args.number is not None:
            if not (args.plate and passes):
                raise UnusableInput("--number needs --plate and --passes")
            outcome = check_typed(
                args.number, args.plate, revoked, at, passes=passes, checkpoint=args.checkpoint
            )
            text = None
        elif args.image:
            texts = read_qr_image(args.image)
            if not texts:
                raise UnusableInput(f"no QR code found in {args.image}")
            text = texts[0]
        else:
            text = args.token
    except (UnusableInput, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if text is not None:
        outcome = check(
            text,
            keys,
            revoked,
            args.plate,
            at,
            trust_lists,
            passes=passes,
            checkpoint=args.checkpoint,
        )
    mark_stale(outcome, passes, until, at)
    if args.json:
        print(json.dumps(outcome, ensure_ascii=False), file=stream)
    else:
        _print(outcome, at, until, stream)
    if outcome.get("stale") and outcome["verdict"] == Verdict.VALID:
        return EXIT_STALE
    return EXIT_CODES[Verdict(outcome["verdict"])]


if __name__ == "__main__":
    sys.exit(main())
