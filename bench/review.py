"""Review admin at scale: render times and query counts of the queue, the review page and the
dashboard, against the data of ``load_scale_data`` in the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pd_review_scale \\
        python manage.py load_scale_data --requests 100000 --documents 300000 --enterprises 1000
    DATABASE_URL=... python manage.py benchmark review --runs 7
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import measure, report
from passes import roles
from passes.models import Document, Enterprise, PassRequest, RequestItem

MARK = "91430211"


def _client(username, group):
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _fetch(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        _fetch(client, url)
    return len(captured)


def run(stdout, runs: int) -> None:
    if not Enterprise.objects.filter(credit_code__startswith=MARK).exists():
        stdout.write("  no scale data here: run load_scale_data first (see this module's doc)")
        return
    queue_size = PassRequest.objects.filter(status__in=PassRequest.QUEUE_STATUSES).count()
    stdout.write(
        f"  data: {PassRequest.objects.count()} requests ({queue_size} in the queue), "
        f"{Document.objects.count()} documents, {Enterprise.objects.count()} enterprises"
    )
    reviewer = _client("scale_reviewer1", roles.REVIEWERS_GROUP)
    officer = _client("scale_officer", roles.OFFICERS_GROUP)
    queue = reverse("admin:passes_reviewqueue_changelist")
    oldest = (
        PassRequest.objects.filter(status__in=PassRequest.QUEUE_STATUSES)
        .order_by("submitted_at")
        .first()
    )
    plate = RequestItem.objects.filter(request=oldest).values_list("vehicle__plate", flat=True)[0]
    pages = [
        ("queue, first page (50 rows)", reviewer, queue),
        ("queue, waiting > target", reviewer, queue + "?overdue=yes"),
        ("queue, search by plate", reviewer, queue + f"?q={plate}"),
        ("queue, search by driver name", reviewer, queue + "?q=司机00042"),
        (
            "review page, oldest request",
            reviewer,
            reverse("admin:passes_reviewqueue_change", args=[oldest.pk]),
        ),
        ("dashboard", officer, reverse("passes_admin_dashboard")),
        ("all requests list", officer, reverse("admin:passes_passrequest_changelist")),
    ]
    for label, client, url in pages:
        count = _queries(client, url)
        report(
            stdout,
            f"{label} [{count} queries]",
            measure(lambda c=client, u=url: _fetch(c, u), runs),
        )
