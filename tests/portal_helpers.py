"""Shared helpers for the portal tests: signing in, sign-up data, scans to upload."""

import pytest
from django.test import Client

from tests import factories, fixtures_files

PASSWORD = "pw-for-tests-123"


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def member(enterprise=None, role="owner"):
    enterprise = enterprise or factories.EnterpriseFactory()
    return factories.MembershipFactory(enterprise=enterprise, role=role).user


def jpeg(name="scan.jpg"):
    return fixtures_files.upload(name, fixtures_files.jpeg_bytes(), "image/jpeg")


def pdf(name="scan.pdf"):
    return fixtures_files.upload(name, fixtures_files.pdf_bytes(), "application/pdf")


def signup_data(**overrides):
    data = {
        "full_name": "王经理",
        "login": "13912340000",
        "password1": "Long-enough-pw-2022",
        "password2": "Long-enough-pw-2022",
        "enterprise_name": "株洲顺达物流有限公司",
        "credit_code": factories.make_credit_code(4242),
        "address": "湖南省株洲市天元区黄河北路 1 号",
        "contact_name": "王经理",
        "contact_phone": "139 1234 0000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
