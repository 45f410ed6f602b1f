"""Every route passdesk serves, walked by every identity against the other side's objects.

The world (``tests/access_world.py``): enterprise A files with office 1, enterprise B with
office 2, each office with a reviewer, an officer and an inspector. For every URL pattern the
resolver knows (portal, admin, API, files, checkpoint, public), its declared access policy is
read (``passes.access.policy_of``: a route without one fails here, by name); its URL is filled
with the ids of the *other* side's objects (request, pass number, document, message, vehicle,
driver, webhook, ...); then each identity (anonymous, a member of A and of B, the reviewer,
officer and inspector of each office) GETs it and POSTs to it, each probe in a transaction
rolled back afterwards. It fails on any 2xx answer that carries the other side's data (its
enterprise name, credit code, plates, pass numbers, references, driver, message text, webhook
URL; a file or PDF of the other side's object), and on any probe after which the other side's
rows differ (requests, passes, messages, documents, reviews, views, audit events, fleet,
members, webhooks, pass types, scans, office). The superuser walks side A's objects too: those
probes must find the data, so the URL filling is proved to reach real objects.
"""

import contextlib
import copy
import io
import re
import time
import zipfile
from collections import Counter

import pytest
from django.contrib.admin import ModelAdmin
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from passes import access
from passes.models import PassRequest
from passes.signing import keys as signing_keys
from tests import access_world

pytestmark = pytest.mark.django_db

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/problem")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def walk(patterns=None, prefix="", regex_prefix=""):
    """``(route, regex, pattern)`` for every URL pattern, includes unfolded."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        regex = pattern.pattern.regex.pattern
        if isinstance(pattern, URLResolver):
            yield from walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                regex_prefix + regex.lstrip("^"),
            )
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), regex_prefix + regex.lstrip("^"), pattern


def _fill(regex: str, values: dict) -> str:
    """The path of ``regex`` with each named group replaced by its value."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(str(values[name]))
            i = j
        else:
            out.append(regex[i])
            i += 1
    path = "".join(out).replace("\\Z", "").replace("$", "").replace("^", "")
    return "/" + re.sub(r"\\(.)", r"\1", path)


def _model_admin(callback):
    func = callback
    for _ in range(20):
        if func is None:
            return None
        owner = getattr(func, "model_admin", None) or getattr(func, "__self__", None)
        if isinstance(owner, ModelAdmin):
            return owner
        func = getattr(func, "__wrapped__", None)
    return None


def _values(route, pattern, policy, side, shared):
    """URL kwargs naming ``side``'s objects."""
    objects = side.objects
    model_admin = _model_admin(pattern.callback)
    kind = pattern.default_args.get("kind")
    if model_admin is not None and "<path:object_id>" in route:
        label = model_admin.model._meta.label_lower
        target = objects.get(label) or shared.get(label)
        if target is None:
            target = model_admin.model._default_manager.order_by("pk").first()
        pk = target.pk if target is not None else 1
    elif "document" in route and "<int:pk>" in route and "<int:document_id>" not in route:
        pk = objects["passes.document"].pk
    elif kind:
        pk = objects[f"passes.{kind}"].pk
    else:
        by_policy = {
            "requests": "passes.passrequest",
            "messages": "passes.passrequest",
            "documents": "passes.passrequest",
            "passes": "passes.pass",
            "webhooks": "passes.webhookendpoint",
            "imports": "passes.importjob",
            "announcements": "passes.announcement",
        }
        target = objects.get(by_policy.get(policy, "")) or shared.get(by_policy.get(policy, ""))
        if policy == "requests" and "passes" in route.split("<", 1)[-1]:
            target = objects["approved"]  # a request's passes: the approved one has some
        pk = target.pk if target is not None else objects["passes.passrequest"].pk
    pass_obj = objects["passes.pass"]
    document_id = (
        objects["standing"].pk if kind else objects["passes.document"].pk
    )  # fleet routes name the vehicle's own document
    return {
        "pk": pk,
        "object_id": pk,
        "id": pk,
        "number": pass_obj.number,
        "token": signing_keys.sign_pass(pass_obj),
        "document_id": document_id,
        "message_id": objects["message"].pk,
        "attachment_id": shared["attachment"].pk,
        "membership_id": objects["membership"].pk,
        "page": 1,
        "step": "vehicles",
        "action": "disable",
        "decision": "reject",
        "fmt": "csv",
        "kind": "vehicles",
        "app_label": "passes",
        "content_type_id": ContentType.objects.get_for_model(PassRequest).pk,
        "url": "no-such-page/",
    }


def _post_data(side, staff_user_id):
    objects = side.objects
    return {
        "body": "probe",
        "reason": "probe",
        "reviewer": staff_user_id or "",
        "verdict": "rejected",
        "passes": [objects["passes.pass"].number],
        "requests": [objects["passes.passrequest"].pk],
        "drivers": [objects["passes.driver"].pk],
        "despite_flags": "1",
        "acknowledge_flags": "true",
        "confirm": "yes",
        "declaration_accepted": "true",
        "nonce": objects["passes.scanevent"].nonce,
        "decision": "let_through",
        "name": "probe",
        "plate": "湘A00000",
    }


def _actions_of(model_admin):
    return [name for name in (model_admin.actions or ()) if isinstance(name, str)]


def _text(response) -> str:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return body.decode("utf-8", "replace")


def _is_file(response) -> bool:
    content_type = response.get("Content-Type", "")
    return bool(content_type) and not content_type.startswith(TEXT_TYPES)


class Walk:
    def __init__(self, world):
        self.a, self.b, self.shared, self.superuser = world
        self.probes = 0
        self.leaks = []
        self.writes = []
        self.seen = Counter()  # route -> probes of the superuser that found side A's data
        self.before = {side.name: access_world.fingerprint(side) for side in (self.a, self.b)}

    def probe(self, client, method, path, victim, route, policy, *, data=None, control=False):
        cookies = copy.deepcopy(client.cookies)  # a probe of a logout route signs nobody out
        before = self.before[victim.name]  # every probe is rolled back: the world is as built
        try:
            with transaction.atomic():
                if method == "get":
                    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
                else:
                    response = client.post(path, data or {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
                text = _text(response) if 200 <= response.status_code < 300 else ""
                after = before
                # A GET that wrote would have shown the data too; a probe that broke the
                # transaction is all rolled back.
                with contextlib.suppress(DatabaseError):
                    if method != "get":
                        after = access_world.fingerprint(victim)
                transaction.set_rollback(True)
        finally:
            self.probes += 1
            client.cookies = cookies
        found = [marker for marker in victim.markers if marker in text]
        as_file = 200 <= response.status_code < 300 and _is_file(response)
        if control:
            if found or as_file:
                self.seen[route] += 1
            return
        who = getattr(client, "identity", "?")
        shared = policy in ("announcements", "deployment")  # the deployment's, not a side's
        if policy != access.PUBLIC and (found or (as_file and "<" in route and not shared)):
            self.leaks.append(
                f"{who} {method.upper()} {path} [{route}] -> {response.status_code}"
                f" {found[:3] or response.get('Content-Type')}"
            )
        if after != before:
            self.writes.append(f"{who} {method.upper()} {path} [{route}] -> {response.status_code}")


def _client(user, identity):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.identity = identity
    return client


def test_every_route_declares_its_access_policy():
    undeclared = [route for route, _regex, p in walk() if access.policy_of(p.callback) is None]
    assert not undeclared, f"routes with no declared access policy: {undeclared}"


def test_no_route_shows_or_changes_the_other_sides_data():
    started = time.monotonic()
    world = access_world.build()
    a, b, shared, superuser = world
    identities = [
        (_client(None, "anonymous"), a),
        (_client(a.member, "member-A"), b),
        (_client(b.member, "member-B"), a),
    ]
    for side, other in ((a, b), (b, a)):
        for role in ("reviewer", "officer", "inspector"):
            user = getattr(side, role)
            identities.append((_client(user, f"{role}-{side.name}"), other))
    # Controls: side A's own member and the superuser, on side A's objects.
    controls = [(_client(a.member, "owner-A"), a), (_client(superuser, "superuser"), a)]
    walker = Walk(world)
    routes = list(walk())
    for route, regex, pattern in routes:
        policy, _reason = access.policy_of(pattern.callback)
        model_admin = _model_admin(pattern.callback)
        for client, victim in [*identities, *controls]:
            path = _fill(regex, _values(route, pattern, policy, victim, shared))
            is_control = (client, victim) in controls
            staff_id = victim.reviewer.pk
            walker.probe(client, "get", path, victim, route, policy, control=is_control)
            walker.probe(
                client,
                "post",
                path,
                victim,
                route,
                policy,
                data=_post_data(victim, staff_id),
                control=is_control,
            )
            if model_admin is not None and route.endswith(f"{model_admin.model._meta.model_name}/"):
                label = model_admin.model._meta.label_lower
                target = victim.objects.get(label)
                for action in _actions_of(model_admin) if target is not None else ():
                    data = {
                        **_post_data(victim, staff_id),
                        "action": action,
                        "_selected_action": [target.pk],
                        "index": "0",
                    }
                    walker.probe(
                        client,
                        "post",
                        path,
                        victim,
                        route,
                        policy,
                        data=data,
                        control=is_control,
                    )
    elapsed = time.monotonic() - started
    print(
        f"\n{len(routes)} routes, {len(identities) + 1} identities, {walker.probes} probes, "
        f"{len(walker.seen)} routes showed side A's data to its owners, {elapsed:.1f} s"
    )
    assert not (walker.leaks or walker.writes), (
        "the other side's data was shown:\n"
        + "\n".join(walker.leaks)
        + "\nthe other side's data was changed:\n"
        + "\n".join(walker.writes)
    )
    # The URL filling reaches real objects: side A's member and the superuser find side A's
    # data on the routes that show some (lists, details, files), admin, API and portal alike.
    live = set(walker.seen)
    for expected in (
        "api/v1/^review/queue/$",
        "api/v1/^review/(?P<pk>[0-9]{1,18})/messages/$",
        "api/v1/^passes/$",
        "api/v1/^requests/(?P<pk>[0-9]{1,18})/$",
        "files/documents/<int:pk>/",
        "passes/<str:number>/pdf/",
        "requests/<int:pk>/passes.pdf",
        "requests/<int:pk>/",
        "my-passes/",
        "vehicles/<int:pk>/",
        "admin/passes/pass/",
        "admin/passes/document/<path:object_id>/change/",
        "admin/passes/auditevent/",
        "admin/passes/enterprise/<path:object_id>/history/",
        "admin/passes/reviewqueue/document/<int:pk>/file/",
    ):
        assert expected in live, f"{expected} showed its owners nothing: {sorted(live)}"
    assert len(live) > 80, sorted(live)


def test_out_of_scope_is_404_like_a_missing_object():
    """The issue's cases, by hand: an officer of office 2 revoking office 1's pass, a reviewer
    of office 2 writing into office 1's conversation (API and admin), reading its queue."""
    a, b, _shared, _superuser = access_world.build()
    issued = a.objects["passes.pass"]
    submitted = a.objects["passes.passrequest"]
    officer = _client(b.officer, "officer-b")
    revoke = officer.post(f"/api/v1/passes/{issued.number}/revoke/", {"reason": "x"})
    missing = officer.post("/api/v1/passes/430200999999/revoke/", {"reason": "x"})
    assert revoke.status_code == missing.status_code == 404
    assert revoke.json() == missing.json()
    reviewer = _client(b.reviewer, "reviewer-b")
    assert (
        reviewer.post(f"/api/v1/review/{submitted.pk}/messages/", {"body": "x"}).status_code == 404
    )
    reply = reviewer.post(f"/admin/passes/reviewqueue/{submitted.pk}/messages/", {"body": "x"})
    assert reply.status_code == 404
    queue = reviewer.get("/api/v1/review/queue/").json()
    assert [row["reference"] for row in queue["results"]] == [
        b.objects["passes.passrequest"].reference
    ]
    issued.refresh_from_db()
    assert issued.status == issued.Status.ACTIVE
    assert not submitted.messages.filter(body="x").exists()
    # Their own office's pass: the same officer revokes it.
    own = b.objects["passes.pass"]
    assert officer.post(f"/api/v1/passes/{own.number}/revoke/", {"reason": "x"}).status_code == 200


def test_the_dashboard_counts_the_officers_offices_only():
    """Aggregates leak too: office 2's officer sees office 2's figures, not the deployment's."""
    from passes.reporting import dashboard

    a, b, _shared, superuser = access_world.build()
    theirs = dashboard.figures(user=b.officer)
    everyone = dashboard.figures(user=superuser)
    by_status = {value: count for value, _label, count in theirs.by_status}
    assert (by_status["approved"], by_status["submitted"], by_status["draft"]) == (1, 1, 0)
    assert [row[0] for row in theirs.decisions_by_reviewer] == [b.reviewer.username]
    assert theirs.backlog == 1 and everyone.backlog == 2
    assert sum(count for _day, count in theirs.issued_per_day) == 1
    page = _client(b.officer, "officer-b").get("/admin/passes/dashboard/")
    assert page.status_code == 200
    assert a.reviewer.username not in page.content.decode()
