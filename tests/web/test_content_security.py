"""Content-Security-Policy: every HTML page has one without inline script; every response that
carries a stored file's bytes (portal, API, the admin's in-place viewer) is sandboxed; downloads
are named after the type the content really is."""

import re

import pytest
from django.urls import reverse

from passes.models import PassRequest
from tests import factories, fixtures_files
from tests.api_support import API
from tests.api_support import client_for as api_client_for
from tests.factories.review import add_document, png_bytes, queued_request
from tests.portal_helpers import member


def directives(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, url",
    [
        (None, "/accounts/login/"),
        (None, "/v/"),
        (None, "/api/docs/"),
        (None, "/api/redoc/"),
        ("member", "/"),
        ("reviewer", "/admin/"),
        ("officer", "/admin/passes/reviewqueue/"),
        ("inspector", "/checkpoint/"),
    ],
)
def test_every_page_has_a_policy_without_inline_script(client, request, who, url):
    if who == "member":
        client.force_login(member())
    elif who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    html = response.content.decode()
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    executable = [tag for tag in inline if "application/json" not in tag]
    assert executable == [], (url, executable)


@pytest.mark.django_db
def test_the_admin_viewer_sandboxes_the_file_and_its_pages(client, reviewer):
    pass_request = queued_request(status=PassRequest.Status.IN_REVIEW, reviewer=reviewer)
    document = add_document(pass_request, content=png_bytes(color=(10, 200, 10)))
    client.force_login(reviewer)
    viewer = client.get(reverse("admin:passes_review_document_viewer", args=[document.pk]))
    assert "sandbox" not in directives(viewer)  # the viewer page itself runs its script
    for url in (viewer.context["file_url"], viewer.context["page_urls"][0]):
        response = client.get(url)
        assert response.status_code == 200
        assert "sandbox" in directives(response), url
        assert directives(response)["default-src"] == ["'none'"]
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_admin_viewer_refuses_a_draft_s_files(client, reviewer, applicant):
    draft = factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    document = add_document(draft, content=png_bytes())
    client.force_login(reviewer)
    for name in ("admin:passes_review_document_viewer", "admin:passes_review_document_file"):
        assert client.get(reverse(name, args=[document.pk])).status_code == 404


@pytest.mark.django_db
def test_portal_file_view_keeps_its_stricter_sandbox(client, applicant):
    draft = factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    document = add_document(draft, content=png_bytes())
    client.force_login(applicant)
    response = client.get(reverse("passes:document-file", args=[document.pk]))
    policy = directives(response)
    assert "sandbox" in policy and policy["default-src"] == ["'none'"]
    assert "script-src" not in policy  # not the pages' policy


@pytest.mark.django_db
def test_api_download_is_sandboxed_and_named_after_the_sniffed_type(applicant):
    draft = factories.submittable_request(enterprise=applicant.membership.enterprise)
    api = api_client_for(applicant)
    uploaded = api.post(
        f"{API}/requests/{draft.pk}/documents/",
        {
            "file": fixtures_files.upload("report.pdf.exe", fixtures_files.pdf_bytes()),
            "kind": "other",
        },
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    response = api.get(uploaded.json()["url"])
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert 'filename="report.pdf.exe.pdf"' in disposition
    assert response["Content-Security-Policy"] == "sandbox"
