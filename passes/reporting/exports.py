"""Requests and passes as spreadsheet rows (CSV and XLSX), streamed in chunks.

Cells that a spreadsheet would read as a formula (starting with = + - @, also after leading
blanks or in their full-width forms such as ＝, which NFKC folds) are prefixed with a quote: an
enterprise name must never run as a formula on an officer's machine.
"""

import csv
import io
import unicodedata

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Pass, RequestItem

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet might evaluate ``value``: its first visible character, after
    NFKC folding (full-width ＝＋－＠) and leading whitespace, starts a formula."""
    if value.startswith(FORMULA_STARTS):
        return True
    return unicodedata.normalize("NFKC", value).lstrip().startswith(FORMULA_STARTS)


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    value = str(value)
    if looks_like_formula(value):
        return "'" + value
    return value


def request_rows(queryset):
    yield [
        _("reference"),
        _("enterprise"),
        _("unified social credit code"),
        _("pass type"),
        _("status"),
        _("vehicles"),
        _("plates"),
        _("submitted at"),
        _("decided at"),
        _("assigned reviewer"),
        _("valid from"),
        _("valid until"),
        _("decision reason"),
    ]
    queryset = queryset.select_related("enterprise", "pass_type", "assigned_reviewer")
    queryset = queryset.prefetch_related(
        Prefetch("items", queryset=RequestItem.objects.select_related("vehicle").order_by("pk"))
    )
    for req in queryset.iterator(chunk_size=CHUNK):
        plates = [item.vehicle.plate for item in req.items.all()]
        yield [
            _cell(value)
            for value in (
                req.reference,
                req.enterprise.name,
                req.enterprise.credit_code,
                req.pass_type.name,
                req.get_status_display(),
                len(plates),
                " ".join(plates),
                req.submitted_at,
                req.decided_at,
                req.assigned_reviewer.get_username() if req.assigned_reviewer else "",
                req.valid_from,
                req.valid_until,
                req.decision_reason,
            )
        ]


def pass_rows(queryset):
    yield [
        _("pass number"),
        _("plate"),
        _("enterprise"),
        _("request"),
        _("pass type"),
        _("status"),
        _("valid from"),
        _("valid until"),
        _("issued at"),
        _("revoked at"),
        _("revocation reason"),
    ]
    queryset = queryset.select_related("request__enterprise", "request__pass_type")
    now = timezone.now()
    for issued in queryset.iterator(chunk_size=CHUNK):
        yield [
            _cell(value)
            for value in (
                issued.number,
                issued.plate,
                issued.request.enterprise.name,
                issued.request.reference,
                issued.request.pass_type.name,
                Pass.Status(issued.effective_status(now)).label,
                issued.valid_from,
                issued.valid_until,
                issued.issued_at,
                issued.revoked_at,
                issued.revocation_reason,
            )
        ]


class _Echo:
    def write(self, value):
        return value


def csv_chunks(rows):
    """CSV text, row by row, with a BOM so spreadsheet programs read the Chinese correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_bytes(rows, title) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    header = True
    for row in rows:
        if header:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.font = Font(bold=True)
                cells.append(cell)
            sheet.append(cells)
            header = False
        else:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
