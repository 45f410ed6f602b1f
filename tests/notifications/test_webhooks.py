"""Webhooks: signed deliveries verified by the function the docs tell enterprises to copy, the
server-side request forgery guard at registration and at delivery, and the delivery log."""

import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from passes import notifications
from passes.models import Notification, WebhookDelivery
from passes.notifications import outbox
from passes.notifications import webhooks as webhook_services
from passes.notifications.channels import netguard, webhook
from passes.requests import workflow
from tests import factories
from tests.factories.notifications import WebhookEndpointFactory, approved_request

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_verifier():
    """The ``verify_passdesk_signature`` function exactly as printed in docs/webhooks.md."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    namespace = {}
    exec(next(b for b in blocks if "def verify_passdesk_signature" in b), namespace)  # noqa: S102
    return namespace["verify_passdesk_signature"]


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    responses: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, headers, payload = (
            _Receiver.responses.pop(0) if _Receiver.responses else (200, {}, b"thanks")
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    """A real HTTP endpoint on loopback; private addresses and plain HTTP allowed for it."""
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = True
    settings.PASSDESK_WEBHOOK_REQUIRE_HTTPS = False
    _Receiver.received, _Receiver.responses = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/passdesk?source=pd"
    yield server
    server.shutdown()
    server.server_close()


def webhook_rows(event):
    return Notification.objects.filter(channel="webhook", event=event)


# --- Signatures --------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    header = webhook.sign("whsec_test", 1764312345, b'{"a":1}')
    expected = hmac.new(b"whsec_test", b'1764312345.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1764312345,v1={expected}"


def test_docs_verifier_accepts_good_and_rejects_bad_signatures():
    verify = docs_verifier()
    body = '{"id": "evt_1", "data": {"plate": "湘B12345"}}'.encode()
    now = 1764312345
    header = webhook.sign("whsec_right", now, body)

    assert verify("whsec_right", body, header, now=now)
    assert verify("whsec_right", body, header, now=now + 299)
    assert not verify("whsec_wrong", body, header, now=now)
    assert not verify("whsec_right", body.replace(b"12345", b"99999"), header, now=now)
    assert not verify("whsec_right", body, header, now=now + 301)  # replayed too late
    assert not verify("whsec_right", body, "t=abc,v1=00", now=now)
    assert not verify("whsec_right", body, "", now=now)


def test_real_delivery_is_signed_verifiable_and_logged(applicant, reviewer, enterprise, receiver):
    endpoint = webhook_services.create_endpoint(enterprise, url=receiver.url, by=applicant)
    pass_request, passes = approved_request(applicant, reviewer, vehicles=2)
    row = webhook_rows(notifications.REQUEST_APPROVED).get()

    assert outbox.deliver(row.pk) == "sent"

    (request,) = [r for r in _Receiver.received if b"request.approved" in r["body"]]
    assert request["path"] == "/hooks/passdesk?source=pd"
    assert request["headers"]["Content-Type"].startswith("application/json")
    signature = request["headers"]["X-Passdesk-Signature"]
    assert docs_verifier()(endpoint.secret, request["body"], signature)
    assert not docs_verifier()(endpoint.secret, request["body"] + b" ", signature)

    payload = json.loads(request["body"])
    assert payload["id"] == f"evt_{row.event_uid.hex}"
    assert payload["type"] == "request.approved"
    assert payload["time"]
    assert payload["data"]["request"]["reference"] == pass_request.reference
    assert sorted(p["number"] for p in payload["data"]["passes"]) == sorted(
        p.number for p in passes
    )

    delivery = WebhookDelivery.objects.get(notification=row)
    assert (delivery.response_status, delivery.response_body) == (200, "thanks")
    assert delivery.signature_header == signature and delivery.succeeded


def test_a_failing_endpoint_is_retried_and_each_attempt_is_logged(
    applicant, reviewer, enterprise, receiver
):
    webhook_services.create_endpoint(enterprise, url=receiver.url, by=applicant)
    _Receiver.responses = [(500, {}, b"database locked")]
    pass_request = factories.submittable_request(enterprise=enterprise)
    workflow.submit(pass_request, by=applicant)
    row = webhook_rows(notifications.REQUEST_SUBMITTED).get()

    assert outbox.deliver(row.pk) == "retry"
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert outbox.deliver(row.pk) == "sent"

    attempts = list(WebhookDelivery.objects.filter(notification=row).order_by("attempt"))
    assert [(d.attempt, d.response_status) for d in attempts] == [(1, 500), (2, 200)]
    assert attempts[0].response_body == "database locked"
    bodies = {r["body"] for r in _Receiver.received}
    assert len(bodies) == 1  # the same event body on the retry (only the signature's t changes)


def test_redirects_are_not_followed(applicant, reviewer, enterprise, receiver):
    webhook_services.create_endpoint(enterprise, url=receiver.url, by=applicant)
    _Receiver.responses = [(302, {"Location": "http://169.254.169.254/latest/"}, b"")]
    pass_request = factories.submittable_request(enterprise=enterprise)
    workflow.submit(pass_request, by=applicant)
    row = webhook_rows(notifications.REQUEST_SUBMITTED).get()

    assert outbox.deliver(row.pk) == "retry"
    assert len(_Receiver.received) == 1
    assert WebhookDelivery.objects.get(notification=row).response_status == 302


# --- SSRF guard ------------------------------------------------------------------------------

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
]


@pytest.mark.parametrize("address", REFUSED)
def test_guard_refuses_non_public_addresses(address, settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url("https://hooks.example.com/x", resolve=lambda host, port: [address])


@pytest.mark.parametrize("literal", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "2130706433"])
def test_guard_refuses_private_ip_literals_in_the_url(literal, settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url(f"https://{literal}/hook")


def test_guard_refuses_a_name_with_any_private_address(settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url(
            "https://hooks.example.com/x", resolve=lambda h, p: ["93.184.215.14", "10.0.0.5"]
        )


def test_guard_allows_public_addresses_and_pins_the_checked_one(settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    target = netguard.check_url(
        "https://Hooks.Example.com:8443/in?x=1", resolve=lambda h, p: ["93.184.215.14"]
    )
    assert (target.host, target.port, target.path, target.address) == (
        "hooks.example.com",
        8443,
        "/in?x=1",
        "93.184.215.14",
    )
    assert netguard.check_url(
        "https://h.example.com/", resolve=lambda h, p: ["2606:4700::6810:84e5"]
    ).address == ("2606:4700::6810:84e5")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain HTTP
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https:///nohost",
        "https://hooks.example.com:99999/x",
    ],
)
def test_guard_refuses_other_schemes_credentials_and_garbage(url, settings):
    settings.PASSDESK_WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(netguard.UnsafeURL):
        netguard.check_url(url, resolve=lambda h, p: ["93.184.215.14"])


def test_guard_allows_private_addresses_when_configured(settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = True
    target = netguard.check_url("https://intranet.local/x", resolve=lambda h, p: ["10.0.0.5"])
    assert target.address == "10.0.0.5"


def test_registration_refuses_a_private_endpoint(applicant, enterprise, settings):
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(webhook_services.WebhookError) as error:
        webhook_services.create_endpoint(enterprise, url="https://127.0.0.1/hook", by=applicant)
    assert error.value.code == "unsafe_url"
    assert not enterprise.webhook_endpoints.exists()


def test_only_owners_register_endpoints(enterprise, settings):
    staff = factories.MembershipFactory(enterprise=enterprise, role="staff").user
    with pytest.raises(webhook_services.WebhookError) as error:
        webhook_services.create_endpoint(enterprise, url="https://93.184.215.14/", by=staff)
    assert error.value.code == "not_allowed"


def test_delivery_rechecks_the_address_dns_rebinding(
    applicant, reviewer, enterprise, settings, monkeypatch
):
    """Registered while the name resolved to a public address; by delivery time it resolves to
    the metadata service. Nothing is sent, the row is dead, the log says why."""
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = False
    WebhookEndpointFactory(enterprise=enterprise, url="https://rebind.example.com/hook")
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: ["169.254.169.254"])
    monkeypatch.setattr(
        webhook, "post", lambda *a, **k: pytest.fail("connected to a refused address")
    )
    pass_request = factories.submittable_request(enterprise=enterprise)
    workflow.submit(pass_request, by=applicant)
    row = webhook_rows(notifications.REQUEST_SUBMITTED).get()

    assert outbox.deliver(row.pk) == "dead"
    delivery = WebhookDelivery.objects.get(notification=row)
    assert "169.254.169.254" in delivery.error and delivery.response_status is None


def test_connection_goes_to_the_checked_address_with_the_name_in_host_header(
    applicant, enterprise, receiver, monkeypatch
):
    """The URL names a host; the connection is made to the address that passed the check (here
    loopback, allowed for the test) and the name travels in the Host header."""
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: ["127.0.0.1"])
    port = receiver.server_port
    target = netguard.check_url(f"http://hooks.example.com:{port}/p")
    response = webhook.post(target, b"{}", {"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200
    assert _Receiver.received[-1]["headers"]["Host"] == f"hooks.example.com:{port}"


def _self_signed(tmp_path, name):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    # OpenSSL checks validity against the machine's clock, which the suite's clock switch
    # (tests/clock.py) does not move: the certificate is good for years on either side.
    now = datetime.datetime.now(datetime.UTC)
    lifetime = datetime.timedelta(days=3 * 365)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - lifetime)
        .not_valid_after(now + lifetime)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path, settings):
    """An HTTPS endpoint on 127.0.0.1 whose certificate names hooks.example.com."""
    import ssl

    cert, key = _self_signed(tmp_path, "hooks.example.com")
    settings.PASSDESK_WEBHOOK_ALLOW_PRIVATE = True
    settings.PASSDESK_WEBHOOK_CA_BUNDLE = str(cert)
    _Receiver.received, _Receiver.responses = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_https_delivery_to_the_pinned_address_checks_the_certificate_name(
    applicant, enterprise, tls_receiver, monkeypatch
):
    """The connection goes to the checked address, while TLS (SNI and certificate) still
    verifies the name in the URL: a certificate for another name is refused."""
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: ["127.0.0.1"])
    port = tls_receiver.server_port
    good = WebhookEndpointFactory(enterprise=enterprise, url=f"https://hooks.example.com:{port}/in")
    other = WebhookEndpointFactory(
        enterprise=enterprise, url=f"https://other.example.com:{port}/in"
    )
    pass_request = factories.submittable_request(enterprise=enterprise)
    workflow.submit(pass_request, by=applicant)
    rows = {r.webhook_endpoint_id: r for r in webhook_rows(notifications.REQUEST_SUBMITTED)}

    assert outbox.deliver(rows[good.pk].pk) == "sent"
    assert _Receiver.received[-1]["headers"]["Host"] == f"hooks.example.com:{port}"
    assert outbox.deliver(rows[other.pk].pk) == "retry"
    failed = WebhookDelivery.objects.get(notification=rows[other.pk])
    assert failed.response_status is None and "certificate" in failed.error.lower()
    assert len(_Receiver.received) == 1
