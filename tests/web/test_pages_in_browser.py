"""Every page each role reaches, opened in headless Chromium: none may break the site's own
Content-Security-Policy or log an error to the console.

A CSP violation is silent to the user (a button that does nothing), and the header is only
tested as text elsewhere (tests/web/test_content_security.py); here the browser judges it.
The pages come from the URL resolver, filled with the seeded world's ids
(``tests/access_world.py``, side A); each role (anonymous, an enterprise member, a reviewer, an
officer, an inspector, a superuser) opens every route that answers it an HTML page. The test
fails naming each page and what went wrong: a ``securitypolicyviolation`` event, an error on
the console (a refused inline handler, a missing file, a failed request), or an uncaught
exception.
"""

import time

import pytest
from django.conf import settings
from django.test import Client

from passes import access
from passes.epass import links as epass_links
from passes.portal.views import wizard
from tests import access_world, clock
from tests.test_access_routes import _fill, _values, walk

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Recorded before any page script runs (Playwright injects it outside the page's policy).
LISTEN = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__problems.push("CSP " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""

# Scripts that ask the server for more as soon as the page is open.
FETCHING = (
    "script[src*='/checkpoint/'], script[src*='/driver/'], script[src*='redoc'],"
    " script[src*='swagger'], [data-import-status]"
)

# Routes whose GET is not a page: they answer files, JSON or redirects whatever the role.
NOT_PAGES = ("sw.js", "manifest.webmanifest", "/state", "status.json", ".pdf", "/file")


def _pages(client, side, shared, *, public: bool):
    """The paths of every route that answers ``client`` an HTML page, with side A's ids
    (public routes only when ``public``: they are the same page whoever opens them)."""
    found = []
    for route, regex, pattern in walk():
        if any(marker in route for marker in NOT_PAGES) or route.startswith("api/v1/"):
            continue
        policy = (access.policy_of(pattern.callback) or ("",))[0]
        if (policy == access.PUBLIC) != public:
            continue
        values = _values(route, pattern, policy, side, shared)
        if route.startswith("d/<"):
            driver = side.objects["passes.driver"]
            values["token"] = epass_links.fresh_link(side.objects["passes.pass"], driver.pk)
            values["token"] = values["token"].rsplit("/", 1)[-1]
        path = _fill(regex, values)
        if "logout" in path:
            continue
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            found.append(path)
    return sorted(set(found))


def _visit_all(browser, base_url, client, paths, role):
    """Open each path in one context signed in as ``client``; the problems, by page."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, service_workers="block"
    )
    clock.share_with_browser(context)
    context.add_init_script(LISTEN)
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is not None:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
        )
    page = context.new_page()
    page.set_default_timeout(15_000)
    current = {"path": ""}
    problems = []

    def note(text):
        problems.append(f"{role} {current['path']}: {text}")

    page.on(
        "console",
        lambda message: message.type in ("error", "assert") and note(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: note(f"uncaught: {error}"))
    for path in paths:
        current["path"] = path
        page.goto(base_url + path, wait_until="load")
        if page.locator(FETCHING).count():
            # Pages whose scripts fetch at once: let those first requests finish.
            page.wait_for_load_state("networkidle")
        for violation in page.evaluate("window.__problems || []"):
            note(violation)
    context.close()
    return problems


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def test_no_page_of_any_role_breaks_the_policy_or_logs_an_error(live_server, browser):
    started = time.monotonic()
    a, _b, shared, superuser = access_world.build()
    identities = {
        "anonymous": None,
        "member": a.member,
        "reviewer": a.reviewer,
        "officer": a.officer,
        "inspector": a.inspector,
        "superuser": superuser,
    }
    problems, visited, reached = [], {}, set()
    for role, user in identities.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        paths = _pages(client, a, shared, public=user is None)
        if role == "member":  # the wizard's every step, on the draft
            draft = a.objects["draft"].pk
            paths += [f"/requests/{draft}/edit/{step}/" for step in wizard.STEP_NAMES]
        visited[role] = paths
        # The superuser's admin is the officers' with more models: only the pages no other
        # role reached are opened again (keeps the walk near a minute).
        shown = [p for p in paths if p not in reached] if role == "superuser" else paths
        reached.update(paths)
        problems += _visit_all(browser, live_server.url, client, shown, role)
    # The walk reached each role's own pages (a resolver change cannot empty it silently).
    expected = {
        "anonymous": ["/accounts/login/", "/signup/", "/v/", "/faq/", "/api/redoc/", "/api/docs/"],
        "member": ["/", "/my-passes/", "/requests/", "/vehicles/", "/notifications/received/"],
        "reviewer": ["/admin/passes/reviewqueue/"],
        "officer": ["/admin/passes/dashboard/"],
        "inspector": ["/checkpoint/"],
        "superuser": ["/admin/"],
    }
    for role, paths in expected.items():
        missing = [path for path in paths if path not in visited[role]]
        assert not missing, f"{role} did not reach {missing}"
    assert not problems, "\n".join(problems)
    counts = {role: len(paths) for role, paths in visited.items()}
    print(f"pages per role {counts} in {time.monotonic() - started:.0f} s")
