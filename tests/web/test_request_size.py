"""A request body over PASSDESK_MAX_REQUEST_BYTES is refused (413) before any of it is read."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from tests.api_support import API, client_for

SIXTY_MB = 60 * 1024 * 1024


class CountingBody(io.RawIOBase):
    """A body that claims to be large and counts what the server reads of it."""

    def __init__(self, size):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


def post_through_wsgi(path, size, **headers):
    body = CountingBody(size)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=XYZ",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
        **headers,
    )
    status = []
    chunks = WSGIHandler()(environ, lambda code, _headers, *args: status.append(code))
    content = b"".join(chunks)
    return int(status[0].split()[0]), content, body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/requests/1/documents/", "/signup/", "/admin/login/"])
def test_a_60_mb_body_is_refused_unread(path):
    status, content, body = post_through_wsgi(path, SIXTY_MB, HTTP_ACCEPT_LANGUAGE="en")
    assert status == 413
    assert body.read_bytes == 0
    assert b"larger than" in content  # in the client's language
    _status, chinese, _body = post_through_wsgi(path, SIXTY_MB, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "超出本站可接受的上限" in chinese.decode()


@pytest.mark.django_db
def test_api_answer_has_the_error_shape(applicant, settings):
    settings.PASSDESK_MAX_REQUEST_BYTES = 2048
    api = client_for(applicant)
    response = api.post(
        f"{API}/requests/1/documents/", {"file": io.BytesIO(b"x" * 4096)}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    small = api.post(f"{API}/requests/999999/documents/", {"kind": "other"}, format="multipart")
    assert small.status_code == 404  # under the limit, the request goes on as before
