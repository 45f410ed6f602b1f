"""``manage.py demo`` serves with Django's development server (wsgiref), which refuses any
hop-by-hop header from the application with a 500: an oversized body there must still get the
413 (JSON on the API, a translated page in the portal), and the server must go on serving.

The demo runs as a user starts it, in its embedded default (SQLite and files in a folder of its
own), with a small ``PASSDESK_MAX_REQUEST_BYTES`` so that a body a few MiB long is oversized.
"""

import os
from pathlib import Path

import httpx
import pytest

from tests import clock
from tests.smtp_sink import free_port
from tests.web_server import serving

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 180  # migrating and seeding the demo takes ~15 s on an idle machine
LIMIT = 64 * 1024
# Larger than the sockets' buffers together, so the client only finishes sending it (and reads
# the answer) if the server reads and discards what it did not want.
OVERSIZED = 16 * 1024 * 1024

MESSAGE = {
    "en": "The request is larger than 64.0\xa0KB, the most this site accepts.",
    "zh-hans": "请求超过 64.0\xa0KB，超出本站可接受的上限。",
}


class DemoServer:
    def __init__(self, process, port, log_path):
        self.process, self.log_path = process, log_path
        self.base_url = f"http://127.0.0.1:{port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def post(self, path, body, **headers) -> httpx.Response:
        return httpx.post(self.base_url + path, content=body, headers=headers, timeout=60)

    def assert_still_serving(self):
        """The process lives and a normal API request reaches its view (and is refused there)."""
        assert self.process.poll() is None, self.log()[-4000:]
        response = self.post("/api/v1/vehicles/", b"{}", **{"Content-Type": "application/json"})
        assert response.status_code in (401, 403)
        assert "error" in response.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    log_path = folder / "demo.log"
    env = {  # the embedded default: no database, broker or storage named
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "PASSDESK_VAR_DIR": str(folder / "var"),
        "PASSDESK_MAX_REQUEST_BYTES": str(LIMIT),
        "PYTHONUNBUFFERED": "1",
        clock.SHIFT_VARIABLE: os.environ.get(clock.SHIFT_VARIABLE, ""),
    }
    command = clock.shifted_command("manage.py", "demo", "--port", str(port))
    with serving(
        command, env=env, log_path=log_path, port=port, name="the demo", ready_timeout=READY_TIMEOUT
    ) as process:
        yield DemoServer(process, port, log_path)


@pytest.mark.parametrize(
    ("accept_language", "language"), [("en", "en"), ("zh-Hans,zh;q=0.9", "zh-hans")]
)
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/vehicles/", "application/json"),
        ("/api/v1/requests/1/documents/", "multipart/form-data; boundary=x"),
    ],
)
def test_an_oversized_api_body_gets_413_in_the_error_shape(
    demo, path, content_type, accept_language, language
):
    response = demo.post(
        path, b"x" * OVERSIZED, **{"Content-Type": content_type, "Accept-Language": accept_language}
    )
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "too_large", "message": MESSAGE[language], "fields": {}}
    }
    assert response.headers["Content-Language"] == language
    demo.assert_still_serving()


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({"Accept-Language": "en"}, "en"),
        ({"Accept-Language": "zh-Hans"}, "zh-hans"),
        # The portal's language switch sets a cookie, which wins over the browser's languages.
        ({"Accept-Language": "en", "Cookie": "django_language=zh-hans"}, "zh-hans"),
    ],
)
def test_an_oversized_portal_post_gets_a_translated_page(demo, headers, language):
    response = demo.post(
        "/signup/",
        b"x" * OVERSIZED,
        **{"Content-Type": "multipart/form-data; boundary=x", **headers},
    )
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert f'<html lang="{language}">' in page
    assert f"<p>{MESSAGE[language]}</p>" in page
    assert '<a href="/">' in page  # a way back to the portal
    if language == "en":
        assert "<title>Request too large</title>" in page
    demo.assert_still_serving()


def test_the_server_logged_refusals_not_errors(demo):
    demo.post("/api/v1/vehicles/", b"x" * OVERSIZED, **{"Content-Type": "application/json"})
    log = demo.log()
    assert '"POST /api/v1/vehicles/ HTTP/1.1" 413' in log
    assert "Traceback" not in log
    assert '" 500 ' not in log
