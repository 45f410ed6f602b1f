"""One notion of the client's address (PASSDESK_TRUSTED_PROXIES) behind every limit: DRF's
throttles, django-axes, the portal's and checkpoint's rate limits, the public verify page; and
the per-address limit on failed sign-ins (password spraying)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from passes.web.client import client_ip
from tests import factories
from tests.api_support import API, assert_error
from tests.api_support import client_for as api_client_for

PROXY = "172.18.0.5"
ALICE, BOB = "203.0.113.5", "198.51.100.9"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    settings.PASSDESK_TRUSTED_PROXIES = ["172.16.0.0/12"]


def via_proxy(client_address, spoofed=""):
    """What the compose proxy sends: the connection is the proxy's; it appends the peer."""
    chain = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def test_client_ip_believes_forwarded_for_only_from_a_trusted_proxy(settings):
    settings.PASSDESK_TRUSTED_PROXIES = ["172.16.0.0/12", "10.1.2.3"]
    assert client_ip({"REMOTE_ADDR": ALICE, "HTTP_X_FORWARDED_FOR": "1.2.3.4"}) == ALICE
    assert client_ip(via_proxy(ALICE)) == ALICE
    assert client_ip(via_proxy(ALICE, spoofed="1.2.3.4")) == ALICE  # left part is the client's
    two_proxies = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{BOB}, 10.1.2.3"}
    assert client_ip(two_proxies) == BOB
    assert client_ip({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "nonsense"}) == PROXY
    settings.PASSDESK_TRUSTED_PROXIES = []
    assert client_ip(via_proxy(ALICE)) == PROXY


def token_attempt(client, username, password="wrong", **extra):  # noqa: S107
    return client.post(
        f"{API}/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


@pytest.mark.django_db
def test_token_throttle_ignores_rotating_forwarded_for_from_an_untrusted_peer(
    applicant, monkeypatch
):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = api_client_for()
    codes = [
        token_attempt(client, applicant.username, HTTP_X_FORWARDED_FOR=f"10.9.8.{n}").status_code
        for n in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


@pytest.mark.django_db
def test_token_throttle_counts_each_client_behind_the_proxy(applicant, monkeypatch, behind_proxy):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = api_client_for()
    alice = [token_attempt(client, applicant.username, **via_proxy(ALICE)) for _ in range(4)]
    assert [r.status_code for r in alice] == [400, 400, 400, 429]
    # Bob is another client behind the same proxy; Alice's spoofed hops do not help her.
    assert token_attempt(client, applicant.username, **via_proxy(BOB)).status_code == 400
    spoofed = token_attempt(client, applicant.username, **via_proxy(ALICE, spoofed=BOB))
    assert spoofed.status_code == 429


@pytest.mark.django_db
def test_axes_locks_out_the_client_behind_the_proxy_not_everyone(applicant, settings, behind_proxy):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    client = api_client_for()
    for _ in range(2):
        token_attempt(client, applicant.username, **via_proxy(ALICE))
    locked = token_attempt(client, applicant.username, "pw-for-tests-123", **via_proxy(ALICE))
    assert_error(locked, 429, "locked_out")
    ok = token_attempt(client, applicant.username, "pw-for-tests-123", **via_proxy(BOB))
    assert ok.status_code == 200


@pytest.mark.django_db
def test_axes_ignores_forwarded_for_from_an_untrusted_peer(applicant, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    client = api_client_for()
    for n in range(2):
        token_attempt(client, applicant.username, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    locked = token_attempt(
        client, applicant.username, "pw-for-tests-123", HTTP_X_FORWARDED_FOR="10.0.0.99"
    )
    assert_error(locked, 429, "locked_out")


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [True, False])
def test_public_verify_page_limit_per_client(settings, trusted):
    settings.PASSDESK_VERIFY_RATE_PER_MINUTE = 3
    settings.PASSDESK_TRUSTED_PROXIES = ["172.16.0.0/12"] if trusted else []
    client = Client()
    url = "/v/?number=430200000001&plate=湘B12345"
    alice = [client.get(url, **via_proxy(ALICE)).status_code for _ in range(4)]
    assert alice[3] == 429
    bob = client.get(url, **via_proxy(BOB)).status_code
    # Behind a trusted proxy Bob has his own allowance; from an untrusted peer the header is
    # ignored, so "Bob" is the same connection that is already limited.
    assert bob == (200 if trusted else 429)


@pytest.mark.django_db
def test_signup_limit_per_client_behind_the_proxy(settings, behind_proxy):
    settings.PASSDESK_PORTAL_RATE_LIMITS = {
        **settings.PASSDESK_PORTAL_RATE_LIMITS,
        "signup": (2, 3600),
    }
    client = Client()
    codes = [
        client.post(reverse("passes:signup"), {}, **via_proxy(ALICE)).status_code for _ in range(3)
    ]
    assert codes[2] == 429
    assert client.post(reverse("passes:signup"), {}, **via_proxy(BOB)).status_code == 200


# --- Password spraying: one address, many usernames ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["portal", "admin", "api"])
def test_many_usernames_from_one_address_lock_that_address_out(settings, door):
    settings.AXES_ENABLED = True
    settings.PASSDESK_LOGIN_FAILURES_PER_ADDRESS = 10
    victim = factories.UserFactory(username="13900009999", is_staff=True, groups=["Officers"])

    def attempt(username, password="Wrong-password-1", address=ALICE):  # noqa: S107
        if door == "api":
            return token_attempt(api_client_for(), username, password, REMOTE_ADDR=address)
        url = reverse("login") if door == "portal" else reverse("admin:login")
        return Client(HTTP_ACCEPT_LANGUAGE="en").post(
            url, {"username": username, "password": password}, REMOTE_ADDR=address
        )

    sprayed = [attempt(f"139000{n:05d}").status_code for n in range(10)]
    assert 429 not in sprayed  # each username failed once: django-axes alone never locks
    assert attempt("13900012345").status_code == 429
    # Even the right password is refused from that address for the window...
    assert attempt(victim.username, "pw-for-tests-123").status_code == 429
    # ...while the same account signs in from anywhere else.
    assert attempt(victim.username, "pw-for-tests-123", address=BOB).status_code in (200, 302)
