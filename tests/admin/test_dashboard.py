"""The officers' dashboard against a small data set whose figures are known, and the exports."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from passes.models import AuditEvent, Pass, PassRequest
from passes.reporting import dashboard
from passes.requests import workflow
from tests import factories
from tests.factories.review import queued_request

pytestmark = pytest.mark.django_db


def approve(req, reviewer):
    workflow.claim(req, by=reviewer)
    return workflow.approve(req, by=reviewer)


@pytest.fixture
def office(reviewer, other_reviewer):
    """3 key enterprises (2 holding an active pass), 4 decisions, 3 requests waiting."""
    keys = [factories.EnterpriseFactory(is_key_enterprise=True) for _ in range(3)]
    approved = [queued_request(enterprise=keys[0], vehicles=2), queued_request(enterprise=keys[1])]
    issued = approve(approved[0], reviewer) + approve(approved[1], other_reviewer)
    returned = queued_request()
    workflow.claim(returned, by=reviewer)
    workflow.return_for_changes(returned, by=reviewer, reason="补正")
    rejected = queued_request(enterprise=keys[2])
    workflow.claim(rejected, by=reviewer)
    workflow.reject(rejected, by=reviewer, reason="不符")
    # The third key enterprise was rejected: it holds no pass. Decisions took 1, 3, 5 and 7 h.
    decided = (approved[0], approved[1], returned, rejected)
    for req, hours in zip(decided, (1, 3, 5, 7), strict=True):
        PassRequest.objects.filter(pk=req.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(hours=hours + 1),
            decided_at=timezone.now() - datetime.timedelta(hours=1),
        )
    waiting = [queued_request(hours_waiting=h) for h in (1, 5, 30)]
    # An old pass issued 3 days ago.
    Pass.objects.filter(pk=issued[-1].pk).update(
        issued_at=timezone.now() - datetime.timedelta(days=3)
    )
    return {"issued": issued, "waiting": waiting}


def test_figures_match_the_known_office(office, reviewer):
    figures = dashboard.figures()
    by_status = {value: count for value, _label, count in figures.by_status}
    assert by_status["approved"] == 2
    assert by_status["returned"] == 1
    assert by_status["rejected"] == 1
    assert by_status["submitted"] == 3
    assert figures.issued_today == 2
    assert sum(count for _day, count in figures.issued_per_day) == 3
    assert len(figures.issued_per_day) == 30
    assert figures.issued_per_day[-4][1] == 1
    assert figures.backlog == 3
    assert [count for _label, count in figures.backlog_buckets] == [1, 1, 1, 0]
    # decision spans 1, 3, 5 and 7 hours: the median is 4 hours.
    assert abs(figures.median_decision - datetime.timedelta(hours=4)) < datetime.timedelta(
        minutes=1
    )
    assert figures.decisions_by_reviewer == [("reviewer", 1, 1, 1, 3), ("reviewer2", 1, 0, 0, 1)]
    assert (figures.key_with_pass, figures.key_total) == (2, 3)


def test_dashboard_page_for_officers(client, officer, office):
    client.force_login(officer)
    response = client.get(reverse("passes_admin_dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 of 3" in html
    assert html.count('class="pd-chart"') == 3
    assert "4 h 00 min" in html
    index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("passes_admin_dashboard") in index


def test_exports_honour_the_changelist_filters(client, officer, office):
    client.force_login(officer)
    url = reverse("admin:passes_passrequest_export", args=["csv"])
    response = client.get(url, {"status__exact": "approved"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 3  # header + the two approved requests
    assert {row[4] for row in table[1:]} == {str(PassRequest.Status.APPROVED.label)}
    xlsx = client.get(reverse("admin:passes_pass_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    numbers = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert numbers == sorted(p.number for p in office["issued"])


def test_export_neutralises_spreadsheet_formulas(client, officer):
    evil = factories.EnterpriseFactory(name='=HYPERLINK("http://x")')
    queued_request(enterprise=evil)
    client.force_login(officer)
    response = client.get(reverse("admin:passes_reviewqueue_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("name", ["＝1+1", " =1+1", "\n=1+1", "\u3000＋SUM(A1)", "＠cmd", "－2+3"])
def test_export_neutralises_full_width_and_indented_formulas(client, officer, name):
    evil = factories.EnterpriseFactory(name=name)
    queued_request(enterprise=evil)
    client.force_login(officer)
    csv_text = b"".join(
        client.get(reverse("admin:passes_reviewqueue_export", args=["csv"])).streaming_content
    ).decode("utf-8-sig")
    assert "'" + name in csv_text
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("admin:passes_reviewqueue_export", args=["xlsx"])).content)
    ).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["'" + name]
