"""Manage the keys that sign pass tokens and the trust list: create, rotate, list, withdraw,
export-public, trust-create, trust-fingerprint, and ``ensure`` (both keys created where missing;
compose's ``migrate`` step runs it on every start)."""

import json

from django.core.management.base import BaseCommand, CommandError

from passes.models import Office, SigningKey
from passes.signing import keys as signing_keys
from passes.signing.trust import grouped_fingerprint
from passes.trust import publish


class Command(BaseCommand):
    help = "Create, rotate, list or withdraw pass signing keys, or export the public keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key that signs from now on.")
        rotate = sub.add_parser(
            "rotate", help="Create a new key; older keys stop signing, keep verifying."
        )
        for parser_ in (create, rotate):
            parser_.add_argument(
                "--office", help="region code of the office it signs for (default: the first)"
            )
        sub.add_parser(
            "ensure",
            help="Create a signing key and the trust-list key where there is none "
            "(safe to run on every start).",
        )
        sub.add_parser("list", help="List keys and their state.")
        withdraw = sub.add_parser("withdraw", help="Stop trusting a key (compromised).")
        withdraw.add_argument("kid")
        withdraw.add_argument("--reason", required=True)
        export = sub.add_parser(
            "export-public",
            help="Print the public keys as JSON (for python -m passes.verify).",
        )
        export.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        sub.add_parser("trust-create", help="Create the long-lived key that signs the trust list.")
        sub.add_parser(
            "trust-fingerprint",
            help="Print the trust-list key's fingerprint, to give to peers out of band.",
        )

    def handle(self, *args, action, **options):
        try:
            office = self._office(options.get("office"))
            if action == "create":
                record = signing_keys.create_key(office=office)
                self.stdout.write(f"created {record.kid} in {signing_keys.key_dir()}")
            elif action == "rotate":
                record = signing_keys.rotate_key(office=office)
                self.stdout.write(f"rotated: {record.kid} signs from now on")
            elif action == "withdraw":
                record = signing_keys.withdraw_key(options["kid"], reason=options["reason"])
                self.stdout.write(f"withdrawn {record.kid} at {record.withdrawn_at:%Y-%m-%d %H:%M}")
            elif action == "ensure":
                self._ensure()
            elif action == "trust-create":
                value = publish.create_trust_key()
                self.stdout.write(f"trust-list key created; fingerprint {value}")
            elif action == "trust-fingerprint":
                value = publish.trust_fingerprint()
                self.stdout.write(value)
                self.stdout.write(grouped_fingerprint(value))
            elif action == "list":
                self._list()
            elif action == "export-public":
                text = json.dumps(signing_keys.public_keys_document(), indent=2)
                if options["output"]:
                    with open(options["output"], "w", encoding="utf-8") as handle:
                        handle.write(text + "\n")
                else:
                    self.stdout.write(text)
        except (signing_keys.SigningKeyError, publish.TrustKeyError) as exc:
            raise CommandError(str(exc)) from exc

    def _ensure(self):
        made = publish.ensure_keys()
        verb = "created" if made.signing_created else "present"
        self.stdout.write(f"signing key {made.signing.kid} {verb}")
        verb = "created" if made.trust_created else "present"
        self.stdout.write(f"trust-list key {verb}; fingerprint {made.trust_fingerprint}")

    def _office(self, region_code):
        if not region_code:
            return None
        office = Office.objects.filter(region_code=region_code).first()
        if office is None:
            raise CommandError(f"no office with region code {region_code}")
        return office

    def _list(self):
        current = signing_keys.current_key()
        for record in SigningKey.objects.order_by("created_at", "id"):
            private = "private key present" if signing_keys.load_private_key(record.kid) else ""
            marker = "*" if current and current.pk == record.pk else " "
            created = f"{record.created_at:%Y-%m-%d %H:%M}"
            line = f"{marker} {record.kid}  {record.state:9}  created {created}  {private}"
            self.stdout.write(line.rstrip())
