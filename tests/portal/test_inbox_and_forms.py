"""What an enterprise received (通知), the demo's answers behind every wizard step's FAQ link,
and the blank 承诺书 to download (issue 29, point 15)."""

import io

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from passes.demo.faq import seed_faq
from passes.models import DocumentKind, FaqEntry, Notification
from passes.portal.views.wizard import STEP_NAMES
from passes.requests import workflow
from tests import factories
from tests.portal_helpers import client_for

pytestmark = pytest.mark.django_db


def test_members_see_what_their_enterprise_received_one_line_per_event(applicant, enterprise):
    draft = factories.submittable_request(enterprise=enterprise)
    workflow.submit(draft, by=applicant)
    membership = factories.MembershipFactory()
    other = factories.submittable_request(enterprise=membership.enterprise)
    workflow.submit(other, by=membership.user)
    assert Notification.objects.filter(enterprise=enterprise).exists()  # the premise

    page = client_for(applicant).get(reverse("passes:notification-list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert draft.reference in html and other.reference not in html
    events = Notification.objects.filter(enterprise=enterprise).values("event_uid").distinct()
    assert html.count('class="notice-head"') == events.count()
    # The menu's 通知 opens this list for a member; the settings are one click away.
    assert reverse("passes:notification-settings") in html


def test_every_wizard_step_s_faq_link_finds_answers_in_the_demo(client):
    assert seed_faq() > 0 and seed_faq() == 0  # idempotent
    for step in STEP_NAMES:
        entries = FaqEntry.objects.filter(topic=step, is_published=True)
        assert entries.exists(), step
        page = client.get(reverse("passes:faq"), {"topic": step}).content.decode()
        assert entries.first().question in page
    # The page lists the topics in the order a request is filed.
    page = client.get(reverse("passes:faq"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    headings = [page.index(f">{label}</h2>") for _value, label in FaqEntry.Topic.choices]
    assert headings == sorted(headings)


def test_the_blank_commitment_letter_carries_the_pass_type_s_declaration(applicant, enterprise):
    pass_type = factories.PassTypeFactory(
        declaration="本企业承诺：所报车辆、人员信息真实。",
        required_document_kinds=[DocumentKind.COMMITMENT_LETTER],
    )
    draft = factories.submittable_request(enterprise=enterprise, pass_type=pass_type)
    client = client_for(applicant)
    documents = client.get(
        reverse("passes:request-step", args=[draft.pk, "documents"])
    ).content.decode()
    link = f"{reverse('passes:commitment-letter')}?type={pass_type.code}"
    assert f'href="{link}"' in documents

    response = client.get(link, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "承诺书" in text and "所报车辆、人员信息真实" in text
    # Anyone may fetch the general one from the FAQ (people ask before they have an account).
    faq = Client().get(reverse("passes:faq")).content.decode()
    assert f'href="{reverse("passes:commitment-letter")}"' in faq
    general = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("passes:commitment-letter"))
    assert general.status_code == 200
    assert "承诺书" in pypdf.PdfReader(io.BytesIO(general.content)).pages[0].extract_text()
