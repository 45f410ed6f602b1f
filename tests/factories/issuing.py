"""Helpers for issuing tests: approved requests with real passes, through the workflow."""

from passes.models import Membership
from passes.requests import workflow
from tests import factories


def staff(username, group):
    return factories.UserFactory(username=username, is_staff=True, groups=[group])


def member_of(enterprise, username=None):
    kwargs = {"enterprise": enterprise, "role": Membership.Role.OWNER}
    if username:
        kwargs["user"] = factories.UserFactory(username=username)
    return factories.MembershipFactory(**kwargs).user


def issued_passes(pass_request, reviewer=None):
    """Submit, claim and approve ``pass_request``; return its passes in number order."""
    applicant = pass_request.enterprise.memberships.first()
    applicant = applicant.user if applicant else member_of(pass_request.enterprise)
    reviewer = reviewer or staff("issuing-reviewer", "Reviewers")
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    passes = workflow.approve(pass_request, by=reviewer)
    return sorted(passes, key=lambda issued: issued.number)


def make_passes(pass_request):
    """Passes for a request without going through review (for signing and PDF tests)."""
    from django.db import transaction

    from passes.issuing import numbering as issuing

    with transaction.atomic():
        passes = issuing.issue_passes(
            pass_request, valid_from=pass_request.valid_from, valid_until=pass_request.valid_until
        )
    pass_request.status = pass_request.Status.APPROVED
    pass_request.save(update_fields=["status"])
    return sorted(passes, key=lambda issued: issued.number)
