"""``manage.py demo`` prints one demo driver's e-pass link, and it opens the e-pass."""

import re

import pytest

from passes.demo import scans as demo_scans
from tests.demo.test_demo import run_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_scans(monkeypatch):
    monkeypatch.setattr(demo_scans, "SCAN_SIZE", (400, 280))
    monkeypatch.setattr(demo_scans, "DOCUMENT_SIZE", (330, 468))


def test_demo_prints_a_driver_link_that_opens_the_e_pass(client):
    output = run_demo()
    line = next(line for line in output.splitlines() if line.startswith("Driver's e-pass ("))
    url = re.search(r"http://127\.0\.0\.1:8123(/d/[A-Za-z0-9_-]{20})$", line).group(1)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-state="valid"' in text and "<svg" in text
    plate = re.search(r"\((\S+), driver", line).group(1)
    assert plate in text
