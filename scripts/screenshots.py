"""Screenshots of each role's main pages in zh-CN, into docs/screenshots/ (or the folder given),
and last the driver's e-pass on a phone: valid, offline, revoked (``epass-*.png``).

    .venv/bin/python scripts/screenshots.py [folder]

Seeds the demo (``manage.py demo --no-serve``) into a throw-away SQLite database, serves it with
``runserver`` on a free port, signs in as each demo account through the login page and saves a
full-page PNG per page. Nothing is written outside the temporary folder and the output folder.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "passdesk-demo"
VIEWPORT = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
EPASS_PHONE = {"width": 375, "height": 740}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo server did not answer at {url}")


def demo_facts(env) -> dict:
    """Ids the pages need (a request to open, a pass token), read from the seeded database."""
    code = (
        "import django, json; django.setup();"
        "from passes.models import Pass, PassRequest; from passes.signing.keys import sign_pass;"
        "p = Pass.objects.filter(status='active').order_by('number').first();"
        "r = PassRequest.objects.filter(items__renews__isnull=False, status='submitted').first();"
        "a = PassRequest.objects.get(reference='SQ20221126-HXF001');"
        "q = PassRequest.objects.filter(status='in_review').order_by('pk').first();"
        "from passes.models import Document, Enterprise;"
        "e = Enterprise.objects.filter(verification_status='suspended').first();"
        "d = Document.objects.filter(kind='business_licence').order_by('pk').first();"
        "f = PassRequest.objects.get(reference='SQ20221126-HXF003');"
        "s = PassRequest.objects.get(reference='SQ20221126-HXF002');"
        "v = f.items.first().vehicle; dr = f.items.first().drivers.first();"
        "print(json.dumps({'token': sign_pass(p), 'renewal': r.pk, 'approved': a.pk,"
        " 'pass': p.pk, 'review': q.pk, 'enterprise': e.pk, 'document': d.pk,"
        " 'draft': f.pk, 'in_review': s.pk, 'vehicle': v.pk, 'driver': dr.pk,"
        " 'number': p.number, 'plate': p.plate}))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def pages(facts) -> dict[str, list[tuple[str, str]]]:
    return {
        # Every page an enterprise member reaches, the wizard step by step on the demo's draft.
        "applicant": [
            ("overview", "/"),
            ("my-passes", "/my-passes/"),
            ("my-passes-upcoming", "/my-passes/?state=upcoming"),
            ("requests", "/requests/"),
            ("request", f"/requests/{facts['approved']}/"),
            ("request-in-review", f"/requests/{facts['in_review']}/"),
            *[
                (f"wizard-{step}", f"/requests/{facts['draft']}/edit/{step}/")
                for step in ("type", "details", "vehicles", "documents", "review")
            ],
            ("vehicles", "/vehicles/"),
            ("vehicle", f"/vehicles/{facts['vehicle']}/"),
            ("drivers", "/drivers/"),
            ("driver", f"/drivers/{facts['driver']}/"),
            ("driver-new", "/drivers/new/"),
            ("import", "/imports/new/"),
            ("enterprise", "/enterprise/"),
            ("announcements", "/announcements/"),
            ("faq", "/faq/"),
            ("notifications", "/notifications/received/"),
            ("notification-settings", "/notifications/"),
            ("webhooks", "/notifications/webhooks/"),
        ],
        "reviewer": [
            ("queue", "/admin/passes/reviewqueue/"),
            ("review", f"/admin/passes/reviewqueue/{facts['review']}/change/"),
            ("renewal-review", f"/admin/passes/reviewqueue/{facts['renewal']}/change/"),
            ("requests", "/admin/passes/passrequest/"),
        ],
        "officer": [
            ("dashboard", "/admin/passes/dashboard/"),
            ("admin-home", "/admin/"),
            ("enterprises", "/admin/passes/enterprise/"),
            ("verify-enterprise", f"/admin/passes/enterprise/{facts['enterprise']}/verify/"),
            ("document", f"/admin/passes/document/{facts['document']}/change/"),
            ("passes", "/admin/passes/pass/"),
            ("revoke-confirm", f"/admin/passes/pass/revoke/?ids={facts['pass']}"),
            ("pass-types", "/admin/passes/passtype/"),
            ("pass-type", "/admin/passes/passtype/1/change/"),
            ("checkpoints", "/admin/passes/checkpoint/"),
            ("offices", "/admin/passes/office/"),
            ("peers", "/admin/passes/peerdeployment/"),
            ("announcement-new", "/admin/passes/announcement/add/"),
            ("reply-templates", "/admin/passes/replytemplate/"),
            ("audit", "/admin/passes/auditevent/"),
            ("scans", "/admin/passes/scanevent/"),
        ],
        "inspector": [("checkpoint", "/checkpoint/")],
        None: [
            ("signup", "/signup/"),
            ("login", "/accounts/login/"),
            ("public-verify", f"/v/{facts['token']}"),
            ("public-check-form", "/v/"),
            ("api-docs", "/api/docs/"),
            ("api-redoc", "/api/redoc/"),
        ],
    }


def run_code(env, code: str) -> dict:
    """Run ``code`` against the seeded database; its last printed line, read as JSON."""
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", "import django, json; django.setup();" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def inspector_shots(browser, base: str, facts: dict, out: Path) -> None:
    """The inspector's verdict screens at 390x844 (what is on the first screen is what counts):
    a valid pass typed in, a number on no pass."""
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    page.goto(base + "/accounts/login/?next=/checkpoint/")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    if page.locator("#cp-choose").is_visible():
        page.locator(".cp-choice").first.click()
    for name, number, plate in (
        ("valid", facts["number"], facts["plate"]),
        ("unknown", "430200999999", facts["plate"]),
    ):
        page.fill("#cp-number", number)
        page.fill("#cp-plate", plate)
        page.locator("#cp-typed button[type=submit]").click()
        page.locator("#cp-verdict:not([data-severity=info])").wait_for()
        target = out / f"inspector-verdict-{name}-phone.png"
        page.screenshot(path=str(target))
        print(target)
        page.locator("#cp-next").click()
    context.close()


def epass_shots(browser, env, out: Path) -> None:
    """The demo driver's e-pass as the driver sees it: valid, reloaded with no network (the
    last known state, with its age), then grey once the office revokes the pass and the
    network is back. The pass is revoked in the throw-away database: this runs last."""
    found = run_code(
        env,
        "from passes.demo.epass import driver_link; p, d, url = driver_link();"
        "print(json.dumps({'link': url, 'number': p.number}))",
    )
    context = browser.new_context(
        locale="zh-CN", viewport=EPASS_PHONE, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    page.goto(found["link"])
    page.locator(".ep-card[data-state=valid]").wait_for()
    page.locator("html[data-offline-ready=true]").wait_for(timeout=30000)
    page.screenshot(path=str(out / "epass-valid.png"))
    context.set_offline(True)
    page.reload()
    page.locator(".ep-card[data-offline=true]").wait_for()
    page.screenshot(path=str(out / "epass-offline.png"))
    run_code(
        env,
        "from django.contrib.auth import get_user_model; from passes.models import Pass;"
        "from passes.requests import workflow;"
        f"workflow.revoke_pass(Pass.objects.get(number={found['number']!r}),"
        " by=get_user_model().objects.get(username='officer'), reason='演示');"
        "print(json.dumps({}))",
    )
    context.set_offline(False)
    page.locator(".ep-card[data-state=revoked]").wait_for()
    page.screenshot(path=str(out / "epass-revoked.png"))
    for name in ("valid", "offline", "revoked"):
        print(out / f"epass-{name}.png")
    context.close()


@contextlib.contextmanager
def demo_site():
    """The demo seeded into a throw-away SQLite database and served by ``runserver`` on a free
    port, in zh-Hans: yields (base URL, the environment its processes run with, the temporary
    folder). Everything is thrown away on the way out."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as var:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{var}/screenshots.sqlite3",
            "PASSDESK_VAR_DIR": var,
            "PASSDESK_PUBLIC_BASE_URL": base,
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "LANGUAGE_CODE": "zh-hans",
        }
        env.pop("CELERY_BROKER_URL", None)
        manage = [sys.executable, "manage.py"]
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [*manage, "demo", "--no-serve", "--port", str(port)], cwd=ROOT, env=env, check=True
        )
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(base + "/healthz/")
            yield base, env, var
        finally:
            server.terminate()
            server.wait(timeout=20)


def launch_chromium(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
    )


def sign_in(page, base: str, username: str) -> None:
    """Sign in through the login page as a demo account."""
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"{username} could not sign in at {page.url}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with demo_site() as (base, env, _var):
        facts = demo_facts(env)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for role, wanted in pages(facts).items():
                context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
                page = context.new_page()
                if role:
                    sign_in(page, base, role)
                for name, path in wanted:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{role or 'public'}-{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(
                        target.relative_to(out.parent) if out.parent in target.parents else target
                    )
                # Every role's pages on a phone too: members file from phones, reviewers
                # and officers check on them, inspectors work on nothing else.
                on_phone = wanted
                if role in ("applicant", "inspector", "reviewer", "officer", None):
                    page.set_viewport_size(PHONE)
                    for name, path in on_phone:
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        page.screenshot(
                            path=str(out / f"{role or 'public'}-{name}-phone.png"),
                            full_page=True,
                        )
                context.close()
            inspector_shots(browser, base, facts, out)
            epass_shots(browser, env, out)
            browser.close()


if __name__ == "__main__":
    main()
