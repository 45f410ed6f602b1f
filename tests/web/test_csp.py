"""The Content-Security-Policy middleware (``passes.web.csp``) writes exactly the headers
django-csp's own middleware writes, building the settings' policy once instead of per response."""

from unittest import mock

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from passes.web import csp


def _plain(request):
    return HttpResponse("{}", content_type="application/json")


def _own_header(request):
    response = HttpResponse("%PDF")
    response[HEADER] = "sandbox"
    return response


@csp_update({"img-src": ["https://maps.example.org"]})
def _updated(request):
    return HttpResponse("<p>map</p>")


@csp_exempt()
def _exempt(request):
    return HttpResponse("<p>embed</p>")


def _with_nonce(request):
    str(request.csp_nonce)  # a template used the nonce
    return HttpResponse("<script nonce>")


def _not_found(request):
    return HttpResponse("missing", status=404)


VIEWS = [_plain, _own_header, _updated, _exempt, _with_nonce, _not_found]


def _headers(middleware_class, view, path="/api/v1/requests/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return {name: response.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__)
@pytest.mark.parametrize("debug", [False, True])
def test_headers_are_django_csps_own(view, debug, settings):
    settings.DEBUG = debug
    ours = _headers(csp.ContentSecurityPolicyMiddleware, view)
    assert ours == _headers(CSPMiddleware, view)
    if view is _plain:
        assert "default-src 'self'" in ours[HEADER]


def test_report_only_and_excluded_paths_follow_the_settings(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "EXCLUDE_URL_PREFIXES": ["/healthz/"],
        "DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-report/"},
    }
    for path in ("/api/v1/requests/", "/healthz/"):
        ours = _headers(csp.ContentSecurityPolicyMiddleware, _plain, path)
        assert ours == _headers(CSPMiddleware, _plain, path)
    assert _headers(csp.ContentSecurityPolicyMiddleware, _plain)[HEADER_REPORT_ONLY].startswith(
        "default-src 'none'"
    )
    assert (
        _headers(csp.ContentSecurityPolicyMiddleware, _plain, "/healthz/")[HEADER_REPORT_ONLY]
        is None
    )


def test_the_settings_policy_is_built_once():
    csp._settings_policy.cache_clear()
    with mock.patch.object(csp, "build_policy", wraps=csp.build_policy) as built:
        for _ in range(5):
            _headers(csp.ContentSecurityPolicyMiddleware, _plain)
    assert built.call_count == 2, "once for the policy, once for report-only"
