"""Attaching, replacing and removing scanned materials: who may, to what, and that a failure
leaves nothing behind."""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from passes import documents
from passes.documents import UploadRejected, attach_document, remove_document, replace_document
from passes.models import AuditEvent, Document, DocumentKind, PassRequest
from passes.operations.backup import stored_names
from passes.requests.workflow import WorkflowError
from tests import factories
from tests import fixtures_files as files

Kind = DocumentKind


@pytest.fixture(autouse=True)
def _english(settings):
    with translation.override("en"):
        yield


@pytest.fixture
def draft(applicant):
    """A draft with one vehicle and one driver."""
    item = factories.RequestItemFactory(
        request=factories.PassRequestFactory(enterprise=applicant.membership.enterprise)
    )
    return item.request


@pytest.fixture
def stranger(db):
    """A member of another enterprise."""
    return factories.MembershipFactory().user


def stored_files() -> list[str]:
    """Every name in the default storage (the media folder or the test's S3 prefix)."""
    return stored_names(default_storage)


def attach(applicant, request, data=None, name="letter.pdf", kind=Kind.COMMITMENT_LETTER, **kw):
    return attach_document(
        enterprise=applicant.membership.enterprise,
        uploaded_file=files.upload(name, data if data is not None else files.pdf_bytes()),
        kind=kind,
        by=applicant,
        request=request,
        **kw,
    )


# --- Attaching ---------------------------------------------------------------------------------


def test_attach_stores_the_file_privately_under_a_random_name(applicant, draft):
    data = files.pdf_bytes(pages=2)
    document = attach(applicant, draft, data, name="承诺书 final.pdf")

    document.refresh_from_db()
    assert document.original_name == "承诺书 final.pdf"
    assert document.content_type == "application/pdf"
    assert (document.size, document.page_count) == (len(data), 2)
    assert document.uploaded_by == applicant
    assert document.request == draft
    assert "承诺书" not in document.file.name and not document.file.name.endswith(".pdf")
    assert document.file.name.startswith("documents/")
    with default_storage.open(document.file.name, "rb") as stored:
        assert stored.read() == data


def test_attach_is_audited(applicant, draft):
    document = attach(applicant, draft, name="letter.pdf")
    event = AuditEvent.objects.get(action="document.upload")
    assert event.actor == applicant
    assert event.request == draft
    assert event.enterprise == draft.enterprise
    assert event.data["document"] == document.pk
    assert event.data["name"] == "letter.pdf"
    assert event.data["sha256"] == document.sha256


def test_thumbnail_is_queued_only_after_the_commit(
    applicant, draft, django_capture_on_commit_callbacks
):
    with mock.patch("passes.documents.previews.make_thumbnail.apply_async") as queue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            document = attach(applicant, draft, files.jpeg_bytes(), name="a.jpg")
        queue.assert_not_called()
        for callback in callbacks:
            callback()
    queue.assert_called_once_with((document.pk,), retry=False)


def test_thumbnail_exists_once_the_upload_commits(
    applicant, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = attach(applicant, draft, files.jpeg_bytes(), name="a.jpg")
    document.refresh_from_db()
    assert document.thumbnail.name.startswith("thumbnails/")


def test_each_accepted_format_attaches(applicant, draft):
    for name, data in [
        ("a.pdf", files.pdf_bytes()),
        ("b.jpg", files.jpeg_bytes()),
        ("c.png", files.png_bytes()),
        ("d.tif", files.tiff_bytes(pages=3)),
    ]:
        attach(applicant, draft, data, name=name, kind=Kind.OTHER)
    assert sorted(draft.documents.values_list("content_type", "page_count")) == [
        ("application/pdf", 1),
        ("image/jpeg", 1),
        ("image/png", 1),
        ("image/tiff", 3),
    ]


def test_standing_documents_of_the_enterprise_vehicle_and_driver(applicant):
    enterprise = applicant.membership.enterprise
    vehicle = factories.VehicleFactory(enterprise=enterprise)
    driver = factories.DriverFactory(enterprise=enterprise)
    licence = attach(applicant, None, kind=Kind.BUSINESS_LICENCE)
    vehicle_doc = attach(
        applicant, None, files.jpeg_bytes(), "v.jpg", Kind.VEHICLE_LICENCE, vehicle=vehicle
    )
    driver_doc = attach(
        applicant, None, files.png_bytes(), "d.png", Kind.DRIVING_LICENCE, driver=driver
    )
    assert (licence.request, licence.vehicle, licence.driver) == (None, None, None)
    assert (vehicle_doc.vehicle, vehicle_doc.driver) == (vehicle, None)
    assert (driver_doc.driver, driver_doc.vehicle) == (driver, None)


def test_per_vehicle_and_per_driver_kinds_go_to_the_only_vehicle_and_driver(applicant, draft):
    item = draft.items.get()
    driver = item.drivers.get()
    licence = attach(applicant, draft, files.jpeg_bytes(), "v.jpg", Kind.VEHICLE_LICENCE)
    permit = attach(applicant, draft, files.png_bytes(), "d.png", Kind.DRIVING_LICENCE)
    assert (licence.item, licence.vehicle) == (item, item.vehicle)
    assert permit.driver == driver


def test_with_two_vehicles_the_vehicle_must_be_named(applicant, draft):
    second = factories.RequestItemFactory(request=draft)
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, files.jpeg_bytes(), "v.jpg", Kind.VEHICLE_LICENCE)
    assert (caught.value.code, caught.value.field) == ("vehicle_required", "item")
    assert caught.value.message == "Say which vehicle this Vehicle licence belongs to."
    named = attach(applicant, draft, files.jpeg_bytes(), "v.jpg", Kind.VEHICLE_LICENCE, item=second)
    assert named.vehicle == second.vehicle
    by_vehicle = attach(
        applicant, draft, files.png_bytes(), "v.png", Kind.VEHICLE_LICENCE, vehicle=second.vehicle
    )
    assert by_vehicle.item == second


def test_unknown_kind_is_refused(applicant, draft):
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind="passport")
    assert (caught.value.code, caught.value.field) == ("invalid_kind", "kind")


# --- Test time ---------------------------------------------------------------------------------


def test_nucleic_acid_test_needs_its_test_time(applicant, draft):
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind=Kind.NUCLEIC_ACID_TEST)
    assert (caught.value.code, caught.value.field) == ("tested_at_required", "tested_at")
    assert caught.value.message == "Give the time the nucleic-acid test sample was taken."
    assert not Document.objects.exists()


def test_test_time_in_the_future_is_refused(applicant, draft):
    later = timezone.now() + datetime.timedelta(hours=2)
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind=Kind.NUCLEIC_ACID_TEST, tested_at=later)
    assert caught.value.code == "tested_at_in_future"
    assert "is in the future" in caught.value.message


def test_test_time_is_stored_and_a_naive_time_is_read_in_shanghai(applicant, draft, time_machine):
    time_machine.move_to(datetime.datetime(2022, 11, 20, 12, 0, tzinfo=datetime.UTC))  # that day
    document = attach(
        applicant,
        draft,
        kind=Kind.NUCLEIC_ACID_TEST,
        tested_at=datetime.datetime(2022, 11, 20, 8, 30),
    )
    document.refresh_from_db()
    assert document.tested_at == datetime.datetime(2022, 11, 20, 0, 30, tzinfo=datetime.UTC)
    assert document.driver == draft.items.get().drivers.get()


def test_test_time_is_not_kept_for_other_kinds(applicant, draft):
    document = attach(applicant, draft, kind=Kind.OTHER, tested_at=timezone.now())
    assert document.tested_at is None


# --- Who may, and to what ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "reviewer", "officer", "inspector"])
def test_only_members_may_attach(who, request, applicant, draft):
    user = request.getfixturevalue(who)
    with pytest.raises(WorkflowError) as caught:
        attach_document(
            enterprise=draft.enterprise,
            uploaded_file=files.upload("a.pdf", files.pdf_bytes()),
            kind=Kind.OTHER,
            by=user,
            request=draft,
        )
    assert caught.value.code == "not_allowed"
    assert not Document.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize(
    "status",
    [
        PassRequest.Status.SUBMITTED,
        PassRequest.Status.IN_REVIEW,
        PassRequest.Status.APPROVED,
        PassRequest.Status.REJECTED,
        PassRequest.Status.WITHDRAWN,
    ],
)
def test_requests_out_of_the_enterprise_hands_are_not_editable(status, applicant, draft):
    PassRequest.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()
    with pytest.raises(WorkflowError) as caught:
        attach(applicant, draft)
    assert caught.value.code == "not_editable"
    assert draft.reference in caught.value.message
    assert stored_files() == []


def test_a_returned_request_takes_new_documents(applicant, draft):
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.RETURNED)
    draft.refresh_from_db()
    assert attach(applicant, draft).request == draft


def test_state_is_checked_again_under_the_lock(applicant, draft):
    """The request is submitted between the early check and the transaction."""
    stale = PassRequest.objects.get(pk=draft.pk)
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.SUBMITTED)
    with pytest.raises(WorkflowError) as caught:
        attach(applicant, stale)
    assert caught.value.code == "not_editable"
    assert stored_files() == []


def test_another_enterprises_request_is_refused(applicant, stranger):
    foreign = factories.PassRequestFactory(enterprise=stranger.membership.enterprise)
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, foreign)
    assert (caught.value.code, caught.value.field) == ("wrong_enterprise", "request")


def test_another_enterprises_driver_or_vehicle_is_refused(applicant, draft, stranger):
    other = stranger.membership.enterprise
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind=Kind.OTHER, driver=factories.DriverFactory(enterprise=other))
    assert (caught.value.code, caught.value.field) == ("wrong_enterprise", "driver")
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, None, kind=Kind.OTHER, vehicle=factories.VehicleFactory(enterprise=other))
    assert (caught.value.code, caught.value.field) == ("wrong_enterprise", "vehicle")
    assert not Document.objects.exists()


def test_an_item_of_another_request_is_refused(applicant, draft):
    other_item = factories.RequestItemFactory(
        request=factories.PassRequestFactory(enterprise=draft.enterprise)
    )
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind=Kind.VEHICLE_LICENCE, item=other_item)
    assert (caught.value.code, caught.value.field) == ("wrong_request", "item")


def test_a_driver_not_on_the_request_is_refused(applicant, draft):
    idle = factories.DriverFactory(enterprise=draft.enterprise, name="王师傅")
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, kind=Kind.DRIVING_LICENCE, driver=idle)
    assert caught.value.code == "wrong_request"
    assert caught.value.message == f"Driver 王师傅 is not on request {draft.reference}."


# --- Duplicates and failures -------------------------------------------------------------------


def test_the_same_file_twice_in_one_request_is_refused_naming_the_first(applicant, draft):
    data = files.jpeg_bytes()
    attach(applicant, draft, data, name="licence-front.jpg", kind=Kind.OTHER)
    with pytest.raises(UploadRejected) as caught:
        attach(applicant, draft, data, name="copy.jpg", kind=Kind.OTHER)
    assert caught.value.code == "duplicate"
    assert caught.value.message == (
        "“copy.jpg” was refused: it is the same file as “licence-front.jpg”, already attached "
        "to this request."
    )
    assert draft.documents.count() == 1
    assert len(stored_files()) == 1


def test_the_same_file_in_another_request_is_fine(applicant, draft):
    data = files.jpeg_bytes()
    other = factories.PassRequestFactory(enterprise=draft.enterprise)
    attach(applicant, draft, data, name="a.jpg", kind=Kind.OTHER)
    attach(applicant, other, data, name="a.jpg", kind=Kind.OTHER)
    assert Document.objects.filter(sha256=draft.documents.get().sha256).count() == 2


def test_a_duplicate_racing_past_the_check_is_caught_by_the_database(applicant, draft):
    data = files.png_bytes()
    attach(applicant, draft, data, name="first.png", kind=Kind.OTHER)
    with (
        mock.patch("passes.documents.services._duplicate_check"),
        pytest.raises(UploadRejected) as caught,
    ):
        attach(applicant, draft, data, name="second.png", kind=Kind.OTHER)
    assert caught.value.code == "duplicate"
    assert "“first.png”" in caught.value.message
    assert len(stored_files()) == 1, "the second copy was removed from storage"


def test_a_refused_file_leaves_nothing(applicant, draft):
    with pytest.raises(UploadRejected):
        attach(applicant, draft, files.truncated_jpeg_bytes(), name="cut.jpg")
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="document.upload").exists()
    assert stored_files() == []


def test_a_failure_after_the_file_is_stored_removes_it(applicant, draft):
    failing = mock.patch("passes.documents.services.audit.record", side_effect=RuntimeError("db"))
    with failing, pytest.raises(RuntimeError):
        attach(applicant, draft)
    assert not Document.objects.exists()
    assert stored_files() == []


def test_an_earlier_document_survives_a_failed_upload(applicant, draft):
    kept = attach(applicant, draft, files.png_bytes(), name="kept.png", kind=Kind.OTHER)
    failing = mock.patch("passes.documents.services.audit.record", side_effect=RuntimeError("db"))
    with failing, pytest.raises(RuntimeError):
        attach(applicant, draft, files.jpeg_bytes(), name="lost.jpg", kind=Kind.OTHER)
    assert list(draft.documents.all()) == [kept]
    assert stored_files() == [kept.file.name]


# --- Removing and replacing --------------------------------------------------------------------


def test_remove_deletes_row_and_files_after_commit(
    applicant, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = attach(applicant, draft, files.jpeg_bytes(), name="a.jpg", kind=Kind.OTHER)
    document.refresh_from_db()
    assert len(stored_files()) == 3  # the scan, its thumbnail and its page picture
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        remove_document(document, by=applicant)
    assert not Document.objects.filter(pk=document.pk).exists()
    assert len(stored_files()) == 3, "files stay until the removal commits"
    for callback in callbacks:
        callback()
    assert stored_files() == []
    event = AuditEvent.objects.get(action="document.remove")
    assert (event.actor, event.request, event.data["name"]) == (applicant, draft, "a.jpg")


def test_remove_is_refused_once_submitted(applicant, draft):
    document = attach(applicant, draft)
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.SUBMITTED)
    with pytest.raises(WorkflowError) as caught:
        remove_document(document, by=applicant)
    assert caught.value.code == "not_editable"
    assert Document.objects.filter(pk=document.pk).exists()


def test_remove_is_refused_to_others(applicant, draft, stranger, reviewer):
    document = attach(applicant, draft)
    for user in (stranger, reviewer):
        with pytest.raises(WorkflowError) as caught:
            remove_document(document, by=user)
        assert caught.value.code == "not_allowed"
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_standing_document_under_review_stays(applicant, draft):
    vehicle = draft.items.get().vehicle
    standing = attach(
        applicant, None, files.jpeg_bytes(), "v.jpg", Kind.VEHICLE_LICENCE, vehicle=vehicle
    )
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.IN_REVIEW)
    with pytest.raises(WorkflowError) as caught:
        remove_document(standing, by=applicant)
    assert caught.value.code == "not_editable"
    assert draft.reference in caught.value.message
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.APPROVED)
    remove_document(standing, by=applicant)
    assert not Document.objects.filter(pk=standing.pk).exists()


def test_replace_keeps_the_place_and_swaps_the_file(
    applicant, draft, django_capture_on_commit_callbacks
):
    item = draft.items.get()
    old = attach(applicant, draft, files.jpeg_bytes(), "blurred.jpg", Kind.VEHICLE_LICENCE)
    new_data = files.png_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        new = replace_document(old, uploaded_file=files.upload("sharp.png", new_data), by=applicant)
    assert not Document.objects.filter(pk=old.pk).exists()
    assert (new.kind, new.request, new.item, new.vehicle) == (
        Kind.VEHICLE_LICENCE,
        draft,
        item,
        item.vehicle,
    )
    assert (new.original_name, new.content_type) == ("sharp.png", "image/png")
    names = set(stored_files())
    assert old.file.name not in names and new.file.name in names
    event = AuditEvent.objects.get(action="document.replace")
    assert event.data["replaced"]["document"] == old.pk
    assert event.data["document"] == new.pk


def test_replace_with_the_same_file_is_refused(applicant, draft):
    data = files.jpeg_bytes()
    old = attach(applicant, draft, data, "a.jpg", Kind.OTHER)
    with pytest.raises(UploadRejected) as caught:
        replace_document(old, uploaded_file=files.upload("again.jpg", data), by=applicant)
    assert caught.value.code == "unchanged"


def test_replace_with_a_file_already_on_the_request_is_refused(applicant, draft):
    attach(applicant, draft, files.png_bytes(), "other.png", Kind.OTHER)
    old = attach(applicant, draft, files.jpeg_bytes(), "a.jpg", Kind.OTHER)
    with pytest.raises(UploadRejected) as caught:
        replace_document(old, uploaded_file=files.upload("b.png", files.png_bytes()), by=applicant)
    assert caught.value.code == "duplicate"
    assert Document.objects.filter(pk=old.pk).exists()


def test_replacing_a_test_report_needs_the_new_test_time(applicant, draft):
    tested = timezone.now() - datetime.timedelta(hours=30)
    old = attach(applicant, draft, kind=Kind.NUCLEIC_ACID_TEST, tested_at=tested)
    with pytest.raises(UploadRejected) as caught:
        replace_document(old, uploaded_file=files.upload("n.png", files.png_bytes()), by=applicant)
    assert caught.value.code == "tested_at_required"
    fresh = timezone.now() - datetime.timedelta(hours=2)
    new = replace_document(
        old, uploaded_file=files.upload("n.png", files.png_bytes()), by=applicant, tested_at=fresh
    )
    assert (new.tested_at, new.driver_id) == (fresh, old.driver_id)


# --- Who may see -------------------------------------------------------------------------------


def send_for_review(pass_request):
    PassRequest.objects.filter(pk=pass_request.pk).update(
        status=PassRequest.Status.SUBMITTED, submitted_at=timezone.now()
    )


def test_reviewers_see_no_document_of_a_request_never_submitted(applicant, draft, reviewer):
    document = attach(applicant, draft)
    assert documents.can_view_document(applicant, document)
    assert not documents.can_view_document(reviewer, document)
    assert not documents.documents_visible_to(reviewer).exists()
    PassRequest.objects.filter(pk=draft.pk).update(status=PassRequest.Status.WITHDRAWN)
    document.request.refresh_from_db()
    assert not documents.can_view_document(reviewer, document)
    send_for_review(draft)
    document.request.refresh_from_db()
    assert documents.can_view_document(reviewer, document)
    assert list(documents.documents_visible_to(reviewer)) == [document]


def test_who_may_view_a_document(applicant, draft, stranger, reviewer, officer, inspector):
    document = attach(applicant, draft)
    send_for_review(draft)
    document.request.refresh_from_db()
    colleague = factories.MembershipFactory(enterprise=draft.enterprise, role="staff").user
    inactive = factories.MembershipFactory(enterprise=draft.enterprise).user
    inactive.is_active = False
    inactive.save()
    allowed = {
        "owner": applicant,
        "colleague": colleague,
        "reviewer": reviewer,
        "officer": officer,
    }
    refused = {
        "other enterprise": stranger,
        "inspector": inspector,
        "anonymous": AnonymousUser(),
        "inactive member": inactive,
        "staff without review permission": factories.UserFactory(is_staff=True),
    }
    for label, user in allowed.items():
        assert documents.can_view_document(user, document), label
    for label, user in refused.items():
        assert not documents.can_view_document(user, document), label


def test_documents_visible_to_lists_only_ones_own(applicant, draft, stranger, reviewer, inspector):
    mine = attach(applicant, draft)
    send_for_review(draft)
    theirs = attach_document(
        enterprise=stranger.membership.enterprise,
        uploaded_file=files.upload("x.png", files.png_bytes()),
        kind=Kind.BUSINESS_LICENCE,
        by=stranger,
    )
    assert list(documents.documents_visible_to(applicant)) == [mine]
    assert list(documents.documents_visible_to(stranger)) == [theirs]
    assert set(documents.documents_visible_to(reviewer)) == {mine, theirs}
    assert not documents.documents_visible_to(inspector).exists()


def test_a_vehicle_document_for_a_named_item_reads_no_other_item(applicant):
    """The API names the item; the service does not read the request's items again."""
    pass_request = factories.submittable_request(
        vehicles=2, enterprise=applicant.membership.enterprise
    )
    item = pass_request.items.select_related("vehicle").order_by("pk").last()
    with CaptureQueriesContext(connection) as queries:
        document = attach(
            applicant,
            pass_request,
            files.png_bytes(),
            name="licence.png",
            kind=DocumentKind.VEHICLE_LICENCE,
            item=item,
        )
    assert (document.item, document.vehicle) == (item, item.vehicle)
    assert not [q for q in queries if 'FROM "passes_requestitem"' in q["sql"]]
