"""A task travels through Redis to a real Celery worker process and changes the database."""

import datetime

import pytest
from celery.result import EagerResult
from django.utils import timezone

from passes.models import AuditEvent, Pass
from passes.requests import workflow
from passes.requests.workflow import expire_passes
from tests import factories


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_expire_passes_runs_in_the_worker_process(celery_worker, applicant, reviewer):
    pass_request = factories.submittable_request(enterprise=applicant.membership.enterprise)
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    (issued,) = workflow.approve(pass_request, by=reviewer)
    # The validity window has just ended (committed: the worker reads it from its own connection).
    Pass.objects.filter(pk=issued.pk).update(valid_until=timezone.now() - datetime.timedelta(1))

    result = expire_passes.delay()

    assert not isinstance(result, EagerResult), "the task ran in this process, not the worker"
    celery_worker.wait_for(
        lambda: Pass.objects.get(pk=issued.pk).status == Pass.Status.EXPIRED,
        message="the worker expiring the pass",
    )
    event = AuditEvent.objects.get(pass_obj=issued, action="pass.expire")
    assert (event.from_status, event.to_status) == ("active", "expired")
    assert event.actor is None
    assert f"Task passes.expire_passes[{result.id}] succeeded" in celery_worker.log()
