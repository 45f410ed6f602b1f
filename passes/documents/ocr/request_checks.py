"""A request's machine check as a whole, in SQL: "all match" when every document it carries
(its own and the standing ones of its enterprise, vehicles and drivers) was machine-read and
nothing disagreed. Used by the queue's mark and filter, bulk approval and the dashboard."""

from django.db.models import Exists, OuterRef, Q

from ...models import Document, DocumentReading
from ...models.documents import relied_on

Status, Outcome = DocumentReading.Status, DocumentReading.Outcome


def relevant_documents():
    """The documents the request in the outer query relies on (``models.documents.relied_on``,
    the rule's one home, with ``OuterRef``)."""
    return Document.objects.filter(relied_on(OuterRef("pk"), OuterRef("enterprise_id")))


def all_match_expression():
    documents = relevant_documents()
    not_clean = documents.filter(
        Q(reading__isnull=True)
        | ~Q(reading__status=Status.READ)
        | ~Q(reading__outcome__in=[Outcome.ALL_MATCH, Outcome.NONE])
    )
    return Exists(documents.filter(reading__outcome=Outcome.ALL_MATCH)) & ~Exists(not_clean)


def mismatch_expression():
    return Exists(relevant_documents().filter(reading__outcome=Outcome.MISMATCH))


def annotate_machine_check(queryset):
    """Adds ``machine_all_match`` and ``machine_mismatch`` (booleans) to each request."""
    return queryset.annotate(
        machine_all_match=all_match_expression(), machine_mismatch=mismatch_expression()
    )


def machine_check_figures(since, requests=None) -> dict:
    """Of the requests decided since ``since`` (among ``requests``, default all): how many, how
    many the machine found all-match, how many it found a mismatch on, and how many of those a
    reviewer approved anyway."""
    from django.db.models import Count, Q

    from ...models import PassRequest

    Status = PassRequest.Status
    decided = annotate_machine_check(
        (PassRequest.objects.all() if requests is None else requests).filter(
            decided_at__gte=since, status__in=[Status.APPROVED, Status.RETURNED, Status.REJECTED]
        )
    )
    counts = decided.aggregate(
        decided=Count("pk"),
        all_match=Count("pk", filter=Q(machine_all_match=True)),
        mismatch=Count("pk", filter=Q(machine_mismatch=True)),
        overridden=Count("pk", filter=Q(machine_mismatch=True, status=Status.APPROVED)),
    )
    counts["all_match_share"] = (
        counts["all_match"] / counts["decided"] if counts["decided"] else None
    )
    counts["override_rate"] = (
        counts["overridden"] / counts["mismatch"] if counts["mismatch"] else None
    )
    return counts
