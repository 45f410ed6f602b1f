"""Load a large, realistic office into the database to measure the review admin at scale.

    python manage.py load_scale_data --requests 100000 --documents 300000 --enterprises 1000

On PostgreSQL the rows go in with COPY (psycopg 3), elsewhere with ``bulk_create`` in batches.
Documents point at two small shared files (a PNG and a one-page PDF) with distinct SHA-256
values, except for a few deliberate duplicates across enterprises. Running it again when the
data is there does nothing; ``--reset`` first empties the domain tables (enterprises, requests,
documents, passes and everything referring to them: meant for a dedicated benchmark database).
"""

import datetime
import enum
import hashlib
import io
import random
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import JSONField, Max
from django.utils import timezone

from passes import roles, validators
from passes.models import (
    AuditEvent,
    Document,
    DocumentKind,
    Driver,
    Enterprise,
    Pass,
    PassRequest,
    PassSerial,
    PassType,
    RequestItem,
    Vehicle,
)
from passes.models.requests import REFERENCE_ALPHABET

MARK = "91430211"  # credit-code prefix of the generated enterprises (registration + region)
BATCH = 5000
Status = PassRequest.Status
# status, share of requests
STATUS_MIX = [
    (Status.APPROVED, 0.72),
    (Status.RETURNED, 0.08),
    (Status.REJECTED, 0.05),
    (Status.WITHDRAWN, 0.03),
    (Status.DRAFT, 0.08),
    (Status.SUBMITTED, 0.03),
    (Status.IN_REVIEW, 0.01),
]
DECIDED = {Status.APPROVED, Status.RETURNED, Status.REJECTED}
ACTION = {Status.APPROVED: "approve", Status.RETURNED: "return", Status.REJECTED: "reject"}


def credit_code(index: int) -> str:
    alphabet = validators.CREDIT_CODE_ALPHABET
    digits = []
    for _ in range(9):
        index, rest = divmod(index, len(alphabet))
        digits.append(alphabet[rest])
    body = MARK + "".join(reversed(digits))
    return body + validators.credit_code_check_character(body)


def id_number(index: int) -> str:
    birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=index)
    body = f"430211{birth:%Y%m%d}{index % 1000:03d}"
    return body + validators.id_number_check_character(body)


def reference(index: int, day: datetime.date) -> str:
    chars = []
    for _ in range(6):
        index, rest = divmod(index, len(REFERENCE_ALPHABET))
        chars.append(REFERENCE_ALPHABET[rest])
    return f"SQ{day:%Y%m%d}-{''.join(reversed(chars))}"


class Writer:
    """Inserts rows (dicts of attname -> value) with COPY on PostgreSQL, bulk_create elsewhere;
    ids are assigned here so that rows can refer to each other before they are written."""

    def __init__(self, now):
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.next_ids = {}

    def ids(self, model, count):
        if model not in self.next_ids:
            self.next_ids[model] = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        first = self.next_ids[model]
        self.next_ids[model] += count
        return range(first, first + count)

    def _value(self, field, row):
        if field.attname in row:
            value = row[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = self.now
        else:
            value = field.get_default()
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(field, JSONField):
            value = field.get_db_prep_save(value, connection)
        return value

    def write(self, model, rows):
        fields = model._meta.concrete_fields
        if not rows:
            return
        if self.postgres:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([self._value(f, row) for f in fields])
        else:
            objects = [model(**{f.attname: self._value(f, row) for f in fields}) for row in rows]
            model.objects.bulk_create(objects, batch_size=BATCH)

    def finish(self, models):
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                top = f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)})"  # noqa: S608
                sql = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {top})"  # noqa: S608
                cursor.execute(sql, [table])


class Command(BaseCommand):
    help = "Load a large generated office (enterprises, requests, documents, passes)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=100_000)
        parser.add_argument("--documents", type=int, default=300_000)
        parser.add_argument("--enterprises", type=int, default=1_000)
        parser.add_argument("--seed", type=int, default=20221128)
        parser.add_argument(
            "--reset", action="store_true", help="empty the domain tables first (benchmark DB)"
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["reset"]:
            self._reset()
        elif Enterprise.objects.filter(credit_code__startswith=MARK).exists():
            self.stdout.write("Scale data already loaded; use --reset to load it again.")
            return
        if options["enterprises"] < 1 or options["requests"] < 1:
            raise CommandError("Give at least one enterprise and one request.")
        self.rng = random.Random(options["seed"])
        self.now = timezone.now()
        self.writer = Writer(self.now)
        with transaction.atomic():
            counts = self._load(options["enterprises"], options["requests"], options["documents"])
            self.writer.finish(
                [Enterprise, Vehicle, Driver, PassRequest, RequestItem, Document, Pass, AuditEvent]
                + [RequestItem.drivers.through, Pass.drivers.through]
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded {summary} in {elapsed:.1f} s."))

    def _reset(self):
        tables = [
            model._meta.db_table for model in (Enterprise, PassRequest, Document, Pass, AuditEvent)
        ]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
                cursor.execute(f"TRUNCATE {quoted} CASCADE")
        else:
            for model in (Pass.drivers.through, AuditEvent, Pass, Document, PassRequest):
                model.objects.all()._raw_delete(connection.alias)
            Enterprise.objects.all().delete()
        self.stdout.write("Domain tables emptied.")

    # --- generation ---------------------------------------------------------------------------

    def _reviewers(self):
        group = Group.objects.get(name=roles.REVIEWERS_GROUP)
        users = []
        for n in range(1, 6):
            user, created = get_user_model().objects.get_or_create(
                username=f"scale_reviewer{n}", defaults={"is_staff": True}
            )
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(group)
            users.append(user.pk)
        return users

    def _files(self):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (850, 1100), (250, 250, 245))
        draw = ImageDraw.Draw(image)
        draw.rectangle([40, 40, 810, 140], outline=(180, 20, 20), width=6)
        for y in range(200, 1050, 40):
            draw.line([(80, y), (770, y)], fill=(60, 60, 60), width=3)
        png, pdf = io.BytesIO(), io.BytesIO()
        image.save(png, "PNG")
        image.save(pdf, "PDF", resolution=100)
        names = {}
        for kind, data in (("png", png.getvalue()), ("pdf", pdf.getvalue())):
            path = f"scale/sample-scan.{kind}"
            if not default_storage.exists(path):
                default_storage.save(path, ContentFile(data))
            names[kind] = (path, len(data))
        return names

    def _load(self, n_enterprises, n_requests, n_documents):
        rng, now, w = self.rng, self.now, self.writer
        reviewers = self._reviewers()
        files = self._files()
        pass_types = list(PassType.objects.filter(is_active=True).order_by("pk"))
        if not pass_types:
            raise CommandError("No active pass type: run the migrations first.")

        # Enterprises: 28 key ones, a few pending or suspended.
        ent_ids = list(w.ids(Enterprise, n_enterprises))
        enterprises = []
        for i, pk in enumerate(ent_ids):
            status = Enterprise.Verification.VERIFIED
            if i % 97 == 5:
                status = Enterprise.Verification.PENDING
            elif i % 211 == 7:
                status = Enterprise.Verification.SUSPENDED
            enterprises.append(
                {
                    "id": pk,
                    "name": f"株洲规模测试物流{i + 1:04d}有限公司",
                    "credit_code": credit_code(i),
                    "address": "湖南省株洲市天元区",
                    "contact_name": "李经理",
                    "contact_phone": f"137{i:08d}",
                    "verification_status": status,
                    "is_key_enterprise": i < 28,
                    "verified_at": now - datetime.timedelta(days=40),
                    "created_at": now - datetime.timedelta(days=45),
                }
            )
        w.write(Enterprise, enterprises)

        # Fleet: three vehicles and three drivers each.
        vehicles, drivers = [], []
        fleet = {}
        vehicle_ids = iter(w.ids(Vehicle, 3 * n_enterprises))
        driver_ids = iter(w.ids(Driver, 3 * n_enterprises))
        for i, ent in enumerate(ent_ids):
            own_v, own_d = [], []
            for k in range(3):
                n = 3 * i + k
                vid, did = next(vehicle_ids), next(driver_ids)
                plate = f"湘{'ABCDEFGHJ'[n % 9]}{n:05d}"
                vehicles.append({"id": vid, "enterprise_id": ent, "plate": plate})
                drivers.append(
                    {
                        "id": did,
                        "enterprise_id": ent,
                        "name": f"司机{n:05d}",
                        "id_number": id_number(n),
                        "phone": f"136{n:08d}",
                    }
                )
                own_v.append((vid, plate))
                own_d.append(did)
            fleet[ent] = (own_v, own_d)
        w.write(Vehicle, vehicles)
        w.write(Driver, drivers)

        # Requests, items, documents, passes and decision events.
        statuses = [s for s, _share in STATUS_MIX]
        weights = [share for _s, share in STATUS_MIX]
        req_ids = w.ids(PassRequest, n_requests)
        docs_per_request = max(n_documents // n_requests, 1)
        extra_docs = max(n_documents - docs_per_request * n_requests, 0)
        serial = PassSerial.objects.filter(region_code=settings.PASSDESK_REGION_CODE).first()
        next_serial = (serial.last_serial if serial else 0) + 1
        counts = dict.fromkeys(
            ["enterprises", "requests", "items", "documents", "passes", "audit events"], 0
        )
        counts["enterprises"] = n_enterprises
        batch = {key: [] for key in ("req", "item", "itemdrv", "doc", "pass", "passdrv", "audit")}
        for index, pk in enumerate(req_ids):
            ent = ent_ids[rng.randrange(n_enterprises)]
            status = rng.choices(statuses, weights)[0]
            pass_type = pass_types[index % len(pass_types)]
            if status in PassRequest.QUEUE_STATUSES:
                submitted = now - datetime.timedelta(minutes=rng.randrange(5, 72 * 60))
            else:
                submitted = now - datetime.timedelta(minutes=rng.randrange(120, 30 * 24 * 60))
            decided = (
                submitted + datetime.timedelta(minutes=rng.randrange(20, 12 * 60))
                if status in DECIDED
                else None
            )
            reviewer = (
                reviewers[index % len(reviewers)]
                if status in DECIDED or status == Status.IN_REVIEW
                else None
            )
            valid_from = submitted + datetime.timedelta(hours=2)
            batch["req"].append(
                {
                    "id": pk,
                    "reference": reference(index, submitted.date()),
                    "enterprise_id": ent,
                    "pass_type_id": pass_type.pk,
                    "cargo_category": "raw_materials",
                    "cargo_description": "钢材原料",
                    "origin": "株洲市荷塘区",
                    "destination": "长沙市雨花区",
                    "route_description": "沪昆高速—京港澳高速",
                    "valid_from": valid_from,
                    "valid_until": valid_from + datetime.timedelta(days=7),
                    "status": status,
                    "assigned_reviewer_id": reviewer,
                    "created_at": submitted - datetime.timedelta(minutes=30),
                    "updated_at": decided or submitted,
                    "submitted_at": None if status == Status.DRAFT else submitted,
                    "claimed_at": submitted if reviewer else None,
                    "decided_at": decided,
                    "decision_reason": "" if status == Status.APPROVED or not decided else "补正",
                }
            )
            own_v, own_d = fleet[ent]
            chosen = rng.sample(range(3), 1 if index % 2 else 2)
            item_ids = list(w.ids(RequestItem, len(chosen)))
            for item_id, k in zip(item_ids, chosen, strict=True):
                batch["item"].append({"id": item_id, "request_id": pk, "vehicle_id": own_v[k][0]})
                batch["itemdrv"].append({"requestitem_id": item_id, "driver_id": own_d[k]})
            wanted = docs_per_request + (1 if index < extra_docs else 0)
            for d, doc_id in enumerate(w.ids(Document, wanted)):
                kind, item_id, driver_id, ext = self._document_shape(d, item_ids, chosen, own_d)
                sha = hashlib.sha256(f"scale-{doc_id}".encode()).hexdigest()
                if doc_id % 997 == 0:
                    sha = hashlib.sha256(b"scale-shared-scan").hexdigest()  # duplicates
                path, size = files[ext]
                batch["doc"].append(
                    {
                        "id": doc_id,
                        "enterprise_id": ent,
                        "request_id": pk,
                        "item_id": item_id,
                        "driver_id": driver_id,
                        "kind": kind,
                        "file": path,
                        "original_name": f"{kind}-{d + 1}.{ext}",
                        "sha256": sha,
                        "content_type": "application/pdf" if ext == "pdf" else "image/png",
                        "size": size,
                        "page_count": 1,
                        "tested_at": submitted - datetime.timedelta(hours=10)
                        if kind == DocumentKind.NUCLEIC_ACID_TEST
                        else None,
                        "uploaded_at": submitted - datetime.timedelta(minutes=40),
                    }
                )
            if status in DECIDED:
                batch["audit"].append(
                    {
                        "request_id": pk,
                        "enterprise_id": ent,
                        "actor_id": reviewer,
                        "action": f"request.{ACTION[status]}",
                        "from_status": Status.IN_REVIEW,
                        "to_status": status,
                        "reason": "",
                        "data": {},
                        "created_at": decided,
                    }
                )
            if status == Status.APPROVED:
                for item_id, k in zip(item_ids, chosen, strict=True):
                    number = f"{settings.PASSDESK_REGION_CODE}{next_serial:06d}"
                    next_serial += 1
                    pass_id = w.ids(Pass, 1)[0]
                    until = decided + datetime.timedelta(days=7)
                    batch["pass"].append(
                        {
                            "id": pass_id,
                            "number": number,
                            "request_id": pk,
                            "item_id": item_id,
                            "vehicle_id": own_v[k][0],
                            "plate": own_v[k][1],
                            "valid_from": decided,
                            "valid_until": until,
                            "status": Pass.Status.ACTIVE if until > now else Pass.Status.EXPIRED,
                            "issued_at": decided,
                        }
                    )
                    batch["passdrv"].append({"pass_id": pass_id, "driver_id": own_d[k]})
            if len(batch["req"]) >= BATCH:
                self._flush(batch, counts)
        self._flush(batch, counts)
        PassSerial.objects.update_or_create(
            region_code=settings.PASSDESK_REGION_CODE, defaults={"last_serial": next_serial - 1}
        )
        return counts

    @staticmethod
    def _document_shape(d, item_ids, chosen, own_d):
        """Business licence (PDF) on the request, then per vehicle licence, then test reports."""
        if d == 0:
            return DocumentKind.BUSINESS_LICENCE, None, None, "pdf"
        slot = (d - 1) % (2 * len(item_ids))
        item_index = slot // 2
        if slot % 2 == 0:
            return DocumentKind.VEHICLE_LICENCE, item_ids[item_index], None, "png"
        driver = own_d[chosen[item_index]]
        return DocumentKind.NUCLEIC_ACID_TEST, item_ids[item_index], driver, "png"

    def _flush(self, batch, counts):
        w = self.writer
        w.write(PassRequest, batch["req"])
        w.write(RequestItem, batch["item"])
        through = RequestItem.drivers.through
        w.write(
            through,
            [
                {"id": i, **row}
                for i, row in zip(
                    w.ids(through, len(batch["itemdrv"])), batch["itemdrv"], strict=True
                )
            ],
        )
        w.write(Document, batch["doc"])
        w.write(Pass, batch["pass"])
        pass_through = Pass.drivers.through
        w.write(
            pass_through,
            [
                {"id": i, **row}
                for i, row in zip(
                    w.ids(pass_through, len(batch["passdrv"])), batch["passdrv"], strict=True
                )
            ],
        )
        w.write(
            AuditEvent,
            [
                {"id": i, **row}
                for i, row in zip(
                    w.ids(AuditEvent, len(batch["audit"])), batch["audit"], strict=True
                )
            ],
        )
        counts["requests"] += len(batch["req"])
        counts["items"] += len(batch["item"])
        counts["documents"] += len(batch["doc"])
        counts["passes"] += len(batch["pass"])
        counts["audit events"] += len(batch["audit"])
        for rows in batch.values():
            rows.clear()
