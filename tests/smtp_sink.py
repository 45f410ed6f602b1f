"""A real SMTP server for tests (aiosmtpd on loopback) that keeps what it receives."""

import contextlib
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """aiosmtpd handler: every accepted message, parsed, with its envelope."""

    def __init__(self):
        self.messages = []
        self.sessions = 0  # EHLO/HELO greetings: one per SMTP connection
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(
                {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message}
            )
        return "250 Message accepted for delivery"

    def matching(self, predicate):
        with self._lock:
            return [m for m in self.messages if predicate(m)]

    def wait_for(self, predicate, *, timeout=60, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching e-mail within {timeout}s; got {len(self.messages)}")


class SmtpServer:
    def __init__(self, port=None):
        self.sink = Sink()
        self.port = port or free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def env(self) -> dict:
        """Environment for a worker process that should send here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
        }


@contextlib.contextmanager
def running_smtp_server(port=None):
    """``with running_smtp_server() as server:`` an aiosmtpd server on a (free) loopback port."""
    server = SmtpServer(port)
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()
