"""The inspector's offline list holds no pass number and no plate in clear, only a slow tag of
both together: the right number and plate find their pass, a wrong plate or number finds
nothing. An inspector's list holds the passes of their offices only; staff of no office get the
deployment's. Tags are hashed once per pass and made again when the salt or cost changes."""

import base64
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from passes.checkpoint import offline_list
from passes.models import Office, OfflineTag, PassRequest
from passes.signing import keys as signing_keys
from passes.signing import passlist
from tests import factories
from tests.factories.checkpoint import make_pass

ACTIVE = "/api/v1/checkpoint/active-passes/"
pytestmark = pytest.mark.django_db


def listed_for(user) -> tuple[dict, passlist.ActivePassList]:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(ACTIVE)
    assert response.status_code == 200
    document = response.json()
    return document, passlist.read_list(document, signing_keys.server_keyring())


def test_the_list_holds_no_number_or_plate_and_finds_a_pass_by_both(inspector):
    one = make_pass(plate="湘B12345")
    two = make_pass(plate="湘BD12345")
    document, listed = listed_for(inspector)
    text = json.dumps(document, ensure_ascii=False)
    blob = base64.b64decode(json.loads(document["payload"])["entries"])
    for issued in (one, two):
        assert issued.number not in text and issued.plate not in text
        for form in (
            issued.number.encode(),
            int(issued.number).to_bytes(5, "big"),
            issued.number[6:].encode(),
            issued.plate.encode(),
        ):
            assert form not in blob
    assert "hash_key" not in document["payload"]
    assert listed.count == 2

    found = listed.lookup(one.number, "湘b·12345")  # typed as a phone would: case, separator
    assert found is not None
    assert int(found.valid_until.timestamp()) == int(one.valid_until.timestamp())
    assert listed.lookup(one.number, "湘B12346") is None  # the wrong plate
    assert listed.lookup(two.number, "湘B12345") is None  # another pass's plate
    assert listed.lookup("430200999999", "湘B12345") is None  # no such number
    assert listed.lookup(two.number, "湘BD12345") is not None


def test_a_list_of_the_old_format_is_refused(inspector):
    make_pass(plate="湘B12345")
    document, _listed = listed_for(inspector)
    with pytest.raises(passlist.ListError, match="format"):
        passlist.read_list(dict(document, format=1), signing_keys.server_keyring())


def test_an_inspector_of_the_second_office_gets_only_its_passes(inspector):
    second = Office.objects.create(name="湘潭市交通运输局", region_code="430300")
    ours = make_pass(plate="湘B12345")  # the first office's
    theirs = make_pass(plate="湘C54321")
    PassRequest.objects.filter(pk=theirs.request_id).update(
        pass_type=factories.PassTypeFactory(office=second)
    )
    second_inspector = factories.UserFactory(username="xt-inspector", groups=["Inspectors"])
    second.staff.add(second_inspector)
    _document, listed = listed_for(second_inspector)
    assert listed.count == 1
    assert listed.lookup(theirs.number, theirs.plate) is not None
    assert listed.lookup(ours.number, ours.plate) is None

    first_inspector = factories.UserFactory(username="zz-inspector", groups=["Inspectors"])
    Office.objects.order_by("pk").first().staff.add(first_inspector)
    _document, listed = listed_for(first_inspector)
    assert listed.count == 1 and listed.lookup(ours.number, ours.plate) is not None

    # An inspector on no office works deployment-wide.
    _document, listed = listed_for(inspector)
    assert listed.count == 2


def test_tags_are_hashed_once_and_again_when_the_cost_changes(inspector, settings):
    issued = make_pass(plate="湘B12345")
    offline_list.build_payload()
    kept = OfflineTag.objects.get(pass_obj=issued)
    OfflineTag.objects.filter(pk=kept.pk).update(tag=b"\0" * 8)  # a kept tag is used as is
    _document, listed = listed_for(inspector)
    assert listed.lookup(issued.number, issued.plate) is None

    settings.PASSDESK_OFFLINE_LIST_ITERATIONS = 2000
    _document, listed = listed_for(inspector)
    assert listed.iterations == 2000
    assert listed.lookup(issued.number, issued.plate) is not None
    assert OfflineTag.objects.count() == 1


def test_approval_makes_the_tags_in_a_worker_so_a_list_copy_makes_none(
    reviewer, inspector, django_capture_on_commit_callbacks
):
    """A tag costs a tenth of a CPU-second by design: the approval's after-commit work makes
    them (eager Celery here), so the inspector's next copy only reads them."""
    from tests.factories.issuing import issued_passes

    request = factories.submittable_request(vehicles=2)
    with django_capture_on_commit_callbacks(execute=True):
        passes = issued_passes(request, reviewer=reviewer)
    assert OfflineTag.objects.filter(pass_obj__in=passes).count() == 2
    made = OfflineTag.objects.order_by("pk").values_list("pk", "tag")
    before = list(made)
    _document, listed = listed_for(inspector)
    assert list(made) == before  # nothing made again
    for issued in passes:
        assert listed.lookup(issued.number, issued.plate) is not None
