"""Behind the trusted proxy the client's address is the one the proxy saw; nobody else can
choose their address with a header."""

import pytest
from django.test import override_settings

from passes.operations.proxy import client_address

PROXY = "172.30.0.10"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, "203.0.113.7", "203.0.113.7"),
        # The client wrote a fake entry; the proxy appended the real one on the right.
        (PROXY, "10.9.9.9, 203.0.113.7", "203.0.113.7"),
        # Two proxies of ours in a row: skip both.
        (PROXY, "203.0.113.7, 172.30.0.11", "203.0.113.7"),
        # Not from the proxy: the header is ignored.
        ("198.51.100.2", "203.0.113.7", "198.51.100.2"),
        (PROXY, "", PROXY),
        (PROXY, "not-an-address", PROXY),
    ],
)
def test_client_address(remote, forwarded, expected):
    assert client_address(remote, forwarded, ["172.30.0.0/24"]) == expected


def test_no_trusted_proxy_means_remote_addr():
    assert client_address(PROXY, "203.0.113.7", []) == PROXY


@pytest.mark.django_db
def test_rate_limits_count_the_client_behind_the_proxy(client):
    from passes import ratelimit

    with override_settings(TRUSTED_PROXIES=["172.30.0.0/24"]):
        response = client.get("/readyz/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert ratelimit.client_address(response.wsgi_request) == "203.0.113.7"
