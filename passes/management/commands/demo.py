"""``python manage.py demo``: a working passdesk on one machine in one command.

Migrates the database (SQLite under ``var/`` unless ``DATABASE_URL`` says otherwise), creates the
signing and trust-list keys where missing (``passes.trust.publish.ensure_keys``), seeds the
Zhuzhou demo data (``passes.demo.data``) through the real services, prints the demo logins and
serves on 127.0.0.1 with Celery in eager mode. Running it again adds nothing twice.
"""

import os
import unicodedata

from celery import current_app as celery_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from passes.demo import channels as demo_channels
from passes.demo import data as demo_data
from passes.demo import epass as demo_epass
from passes.demo import seed as demo_seed
from passes.models import Enterprise, Pass, PassRequest
from passes.signing.trust import grouped_fingerprint
from passes.trust import publish


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header, rows) -> str:
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(str(cell), w) for cell, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


class Command(BaseCommand):
    help = "Migrate, seed the Zhuzhou demo data and demo accounts, print the logins and serve."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Set up and seed, then stop (no web server)."
        )
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on (8000).")
        parser.add_argument(
            "--fakes-port",
            type=int,
            default=8025,
            help="Port of the SMS/WeChat/group-robot provider fakes started when serving (8025).",
        )

    def handle(self, *args, no_serve=False, port=8000, fakes_port=8025, **options):
        # The demo runs tasks in-process whatever broker the environment names.
        celery_app.conf.task_always_eager = True
        verbosity = options.get("verbosity", 1)
        base = f"http://127.0.0.1:{port}"
        if "PASSDESK_PUBLIC_BASE_URL" not in os.environ:
            # QR codes, the manual-check address and e-mail links point at this server.
            settings.PASSDESK_PUBLIC_BASE_URL = base
        self.stdout.write(
            f"passdesk demo on {base} (public base URL {settings.PASSDESK_PUBLIC_BASE_URL})"
        )
        self.stdout.write(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        # The same step as compose's `passdesk_keys ensure`: /api/v1/trust/ answers from the start.
        keys = publish.ensure_keys()
        self.stdout.write(
            "Seeding the demo data (the first run draws the scans; give it a moment)…"
        )
        fakes = None
        if not no_serve:
            # The channels travel for real, to provider fakes inside this process.
            fakes = demo_channels.start(fakes_port)
        logins = demo_seed.seed()
        self.stdout.write(self._summary(base, logins, keys.trust_fingerprint))
        if no_serve:
            return
        self.stdout.write(
            f"Channels: SMS (Alibaba Cloud SDK), WeChat and WeCom/DingTalk/Feishu robots go to "
            f"local provider fakes; what they received: {fakes.base_url}/\n"
        )
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)

    def _summary(self, base, logins, fingerprint) -> str:
        where = {
            "applicant": f"{base}/",
            "reviewer": f"{base}/admin/",
            "reviewer2": f"{base}/admin/",
            "officer": f"{base}/admin/",
            "inspector": f"{base}/checkpoint/",
            "admin": f"{base}/admin/",
        }
        rows = [
            (role, username, demo_data.DEMO_PASSWORD, where.get(username, f"{base}/"), who)
            for role, username, who in logins
        ]
        counts = (
            f"{Enterprise.objects.count()} enterprises, "
            f"{PassRequest.objects.count()} requests, {Pass.objects.count()} passes"
        )
        others = ", ".join(spec["applicant"][0] for spec in demo_data.ENTERPRISES[1:])
        return "\n".join(
            [
                "",
                f"passdesk demo ready: {counts}.",
                "",
                format_table(("role", "username", "password", "sign in at", "who"), rows),
                "",
                f"Other enterprises' applicants (same password): {others}.",
                f"Officers' dashboard: {base}/admin/passes/dashboard/",
                f"API: {base}/api/v1/  ·  schema: {base}/api/schema/  ·  docs: {base}/api/docs/",
                f"Public pass check: {base}/v/  ·  Celery: eager (in-process)  ·  "
                f"DEBUG={settings.DEBUG}",
                f"Trust list: {base}/api/v1/trust/  ·  key fingerprint (for peers): "
                f"{grouped_fingerprint(fingerprint)}",
                demo_epass.summary_line(),
                "",
            ]
        )
