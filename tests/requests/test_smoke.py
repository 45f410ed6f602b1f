"""The happy path end to end: a request is filed, claimed, approved and gets numbered passes."""

from passes.models import AuditEvent, PassRequest
from passes.requests import workflow
from tests import factories


def test_request_travels_from_draft_to_passes(enterprise, applicant, reviewer):
    pass_request = factories.submittable_request(vehicles=2, enterprise=enterprise)

    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    passes = workflow.approve(pass_request, by=reviewer)

    pass_request.refresh_from_db()
    assert pass_request.status == PassRequest.Status.APPROVED
    assert [p.number for p in passes] == ["430200000001", "430200000002"]
    assert list(
        AuditEvent.objects.filter(request=pass_request).values_list("action", flat=True)
    ) == ["request.submit", "request.claim", "request.approve"]
