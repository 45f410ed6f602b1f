"""A peer deployment for tests: its own trust-list key, office key and passes, served over real
HTTP on a loopback port (port 0) by a small threaded server."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from passes.signing import tokens, trust


class PeerDeploymentDouble:
    """Office 长沙 (430100) of deployment "Changsha" with one signing key."""

    region_code = "430100"
    office = "长沙市交通运输局"
    deployment = "Changsha passdesk"

    def __init__(self):
        self.trust_key = Ed25519PrivateKey.generate()
        self.signing_key = Ed25519PrivateKey.generate()
        self.kid = tokens.key_id_for(self.signing_key.public_key())
        self.withdrawn_at = None
        self.revoked: list[str] = []
        self.server = None
        self.document = None

    @property
    def fingerprint(self) -> str:
        return trust.fingerprint(self.trust_key.public_key())

    def payload(self, *, now=None, sequence=None, expires_in=datetime.timedelta(days=7)):
        now = now or timezone.now()
        import base64

        key = {
            "kid": self.kid,
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(
                tokens.raw_public_key(self.signing_key.public_key())
            ).decode(),
            "state": "withdrawn" if self.withdrawn_at else "active",
            "created_at": (now - datetime.timedelta(days=30)).isoformat(),
            "retired_at": None,
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
        }
        return {
            "deployment": {"name": self.deployment, "url": self.base_url},
            "sequence": sequence if sequence is not None else int(now.timestamp() * 1000),
            "issued_at": now,
            "expires_at": now + expires_in,
            "offices": [
                {
                    "name": self.office,
                    "region_code": self.region_code,
                    "revocations_url": f"{self.base_url}/revocations/",
                    "keys": [key],
                }
            ],
        }

    def sign(self, **kwargs) -> dict:
        return trust.sign_trust_list(self.payload(**kwargs), self.trust_key)

    def publish(self, document=None, **kwargs):
        self.document = document if document is not None else self.sign(**kwargs)
        return self.document

    def token(self, *, number=None, plate="湘A12345", hours=(-1, 48), signer=None):
        now = timezone.now()
        return tokens.sign_claims(
            signer or tokens.Signer(kid=self.kid, private_key=self.signing_key),
            number=number or f"{self.region_code}000042",
            plate=plate,
            valid_from=now + datetime.timedelta(hours=hours[0]),
            valid_until=now + datetime.timedelta(hours=hours[1]),
        )

    # --- HTTP ---

    def start(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                if self.path.startswith("/trust/"):
                    data = peer.document
                elif self.path.startswith("/revocations/"):
                    data = {
                        "revoked": [
                            {"number": n, "status": "revoked", "reason": "revoked", "at": ""}
                            for n in peer.revoked
                        ],
                        "until": timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                        "more": False,
                    }
                else:
                    self.send_error(404)
                    return
                body = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def base_url(self) -> str:
        if self.server is None:
            return "http://127.0.0.1:9"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
