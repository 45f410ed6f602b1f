"""Serving scans: only to those who may see them, 404 to everyone else, with headers that keep a
browser from treating a scan as anything but what it is."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from passes import documents
from passes.documents import attach_document
from passes.models import DocumentKind, PassRequest
from tests import factories
from tests import fixtures_files as files


@pytest.fixture
def draft(applicant):
    item = factories.RequestItemFactory(
        request=factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    )
    return item.request


PDF = files.pdf_bytes(pages=2)


def sent_for_review(pass_request):
    """As if submitted: what the review side may look at."""
    PassRequest.objects.filter(pk=pass_request.pk).update(
        status=PassRequest.Status.SUBMITTED, submitted_at=timezone.now()
    )


@pytest.fixture
def pdf_document(applicant, draft):
    document = attach_document(
        enterprise=draft.enterprise,
        uploaded_file=files.upload("营业执照 2022.pdf", PDF),
        kind=DocumentKind.BUSINESS_LICENCE,
        by=applicant,
        request=draft,
    )
    sent_for_review(draft)
    return document


@pytest.fixture
def jpeg_document(applicant, draft):
    return attach_document(
        enterprise=draft.enterprise,
        uploaded_file=files.upload("photo.jpg", files.jpeg_bytes(exif_orientation=6)),
        kind=DocumentKind.OTHER,
        by=applicant,
        request=draft,
    )


def file_url(document, **query):
    url = reverse("passes:document-file", args=[document.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_routes_are_where_the_other_areas_expect_them():
    assert reverse("passes:document-file", args=[7]) == "/files/documents/7/"
    assert reverse("passes:document-thumbnail", args=[7]) == "/files/documents/7/thumbnail/"
    assert reverse("passes:document-page", args=[7, 2]) == "/files/documents/7/pages/2/"


def test_member_gets_the_file_inline_with_protective_headers(client, applicant, pdf_document):
    client.force_login(applicant)
    response = client.get(file_url(pdf_document))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "inline; filename=\"____ 2022.pdf\"; filename*=UTF-8''"
        "%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%202022.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Length"] == str(len(PDF))


def test_download_is_an_attachment_under_the_original_name(client, applicant, pdf_document):
    client.force_login(applicant)
    response = client.get(file_url(pdf_document, download=1))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%202022.pdf" in disposition


def test_images_get_a_restrictive_policy_too(client, applicant, jpeg_document):
    client.force_login(applicant)
    response = client.get(file_url(jpeg_document))
    assert response["Content-Type"] == "image/jpeg"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_sniffed_type_is_served_and_named_whatever_the_upload_said(client, applicant, draft):
    document = attach_document(
        enterprise=draft.enterprise,
        uploaded_file=files.upload("report.exe", files.pdf_bytes(), "application/x-msdownload"),
        kind=DocumentKind.OTHER,
        by=applicant,
        request=draft,
    )
    client.force_login(applicant)
    response = client.get(file_url(document, download=1))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="report.exe.pdf"' in response["Content-Disposition"]


def test_header_injection_through_the_name_is_impossible(client, applicant, draft):
    document = attach_document(
        enterprise=draft.enterprise,
        uploaded_file=files.upload('a";\r\nSet-Cookie: x=1;.png', files.png_bytes()),
        kind=DocumentKind.OTHER,
        by=applicant,
        request=draft,
    )
    client.force_login(applicant)
    response = client.get(file_url(document))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "\n" not in response["Content-Disposition"]
    assert 'filename="a__Set-Cookie: x=1_.png"' in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["reviewer", "officer"])
def test_reviewers_and_officers_may_open_any_document(who, request, client, pdf_document):
    client.force_login(request.getfixturevalue(who))
    response = client.get(file_url(pdf_document))
    assert response.status_code == 200
    assert body(response) == PDF


@pytest.mark.parametrize("who", ["reviewer", "officer"])
def test_reviewers_get_404_for_files_of_a_draft_until_it_is_submitted(
    who, request, client, applicant, draft, jpeg_document
):
    client.force_login(request.getfixturevalue(who))
    urls = [
        file_url(jpeg_document),
        file_url(jpeg_document, download=1),
        reverse("passes:document-thumbnail", args=[jpeg_document.pk]),
        reverse("passes:document-page", args=[jpeg_document.pk, 1]),
    ]
    assert [client.get(url).status_code for url in urls] == [404] * 4
    sent_for_review(draft)
    assert [client.get(url).status_code for url in urls] == [200] * 4


def test_another_enterprise_gets_404_like_a_missing_document(client, pdf_document):
    stranger = factories.MembershipFactory().user
    client.force_login(stranger)
    forbidden = client.get(file_url(pdf_document))
    missing = client.get(reverse("passes:document-file", args=[pdf_document.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


def test_inspector_gets_404(client, inspector, pdf_document):
    client.force_login(inspector)
    assert client.get(file_url(pdf_document)).status_code == 404
    thumbnail = reverse("passes:document-thumbnail", args=[pdf_document.pk])
    assert client.get(thumbnail).status_code == 404


def test_anonymous_is_sent_to_sign_in_without_learning_anything(client, pdf_document):
    existing = client.get(file_url(pdf_document))
    missing = client.get(reverse("passes:document-file", args=[pdf_document.pk + 1000]))
    assert existing.status_code == missing.status_code
    assert existing.status_code in (302, 404)
    if existing.status_code == 302:
        assert "next=" in existing["Location"]
        assert existing["Location"].split("?")[0] == missing["Location"].split("?")[0]
    assert PDF not in existing.content


def test_only_get(client, applicant, pdf_document):
    client.force_login(applicant)
    assert client.post(file_url(pdf_document)).status_code == 405


def test_thumbnail_is_drawn_on_demand_when_the_task_has_not_run(client, applicant, jpeg_document):
    assert not jpeg_document.thumbnail
    client.force_login(applicant)
    response = client.get(reverse("passes:document-thumbnail", args=[jpeg_document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(body(response)))
    assert image.width > image.height, "the EXIF rotation was applied"
    jpeg_document.refresh_from_db()
    assert jpeg_document.thumbnail, "and it was kept"


def test_thumbnail_of_a_file_that_cannot_be_drawn_says_so(client, applicant, jpeg_document):
    with jpeg_document.file.storage.open(jpeg_document.file.name, "wb") as handle:
        handle.write(b"\xff\xd8\xff garbage")
    client.force_login(applicant)
    response = client.get(reverse("passes:document-thumbnail", args=[jpeg_document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["X-Preview-Status"] == "failed"
    assert response["Cache-Control"] == "private, no-store"
    assert "无法显示".encode() in response.content  # the site's language: "cannot be shown"
    jpeg_document.refresh_from_db()
    assert jpeg_document.preview_reason == "damaged"


def test_pdf_page_preview(client, reviewer, pdf_document, settings):
    settings.PASSDESK_PREVIEW_WIDTH = 300
    client.force_login(reviewer)
    url = reverse("passes:document-page", args=[pdf_document.pk, 2])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(body(response)))
    assert image.width == 300, "drawn by the (eager) worker at PASSDESK_PREVIEW_WIDTH"
    assert image.height > image.width  # A4 portrait
    assert client.get(reverse("passes:document-page", args=[pdf_document.pk, 3])).status_code == 404


def test_page_preview_is_refused_to_strangers(client, pdf_document):
    client.force_login(factories.MembershipFactory().user)
    url = reverse("passes:document-page", args=[pdf_document.pk, 1])
    assert client.get(url).status_code == 404


def test_viewing_sends_a_signal_for_the_review_record(client, reviewer, pdf_document):
    seen = []

    def receiver(sender, document, user, variant, **kwargs):
        seen.append((document.pk, user.pk, variant))

    documents.document_viewed.connect(receiver)
    try:
        client.force_login(reviewer)
        body(client.get(file_url(pdf_document)))
        body(client.get(file_url(pdf_document, download=1)))
        client.get(reverse("passes:document-page", args=[pdf_document.pk, 1]))
        client.get(reverse("passes:document-thumbnail", args=[pdf_document.pk]))
    finally:
        documents.document_viewed.disconnect(receiver)
    assert seen == [
        (pdf_document.pk, reviewer.pk, "file"),
        (pdf_document.pk, reviewer.pk, "download"),
        (pdf_document.pk, reviewer.pk, "page"),
    ]
