"""Reading the spreadsheets of a fleet import, and writing the downloadable templates.

CSV (UTF-8 or GBK, as Excel saves it in China) and XLSX; the header row names the columns in
Chinese or English (``车牌号`` or ``plate``; our template's ``车牌号 (plate)`` too).
"""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.imports import ImportJob

MAX_ROWS = 5000


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translated label, used in messages
    headers: tuple  # accepted header spellings, compared case-insensitively
    required: bool = True


COLUMNS = {
    ImportJob.Kind.VEHICLES: (
        Column("plate", gettext_lazy("plate"), ("车牌号", "车牌号码", "号牌号码", "车牌", "plate")),
        Column(
            "vehicle_type",
            gettext_lazy("vehicle type"),
            ("车辆类型", "vehicle type", "vehicle_type", "type"),
            required=False,
        ),
        Column(
            "licence_number",
            gettext_lazy("vehicle licence number"),
            (
                "行驶证号",
                "行驶证编号",
                "vehicle licence number",
                "licence number",
                "licence_number",
            ),
            required=False,
        ),
    ),
    ImportJob.Kind.DRIVERS: (
        Column("name", gettext_lazy("name"), ("姓名", "驾驶员姓名", "name")),
        Column(
            "id_number",
            gettext_lazy("resident ID number"),
            ("身份证号", "身份证号码", "id number", "id_number", "resident id number"),
        ),
        Column("phone", gettext_lazy("mobile phone"), ("手机号", "手机号码", "phone", "mobile")),
        Column(
            "licence_number",
            gettext_lazy("driving licence number"),
            (
                "驾驶证号",
                "驾驶证编号",
                "driving licence number",
                "licence number",
                "licence_number",
            ),
            required=False,
        ),
    ),
}

# Template headers: Chinese first, the English name in brackets; both spellings are accepted.
TEMPLATE_HEADERS = {
    ImportJob.Kind.VEHICLES: [
        "车牌号 (plate)",
        "车辆类型 (vehicle type)",
        "行驶证号 (licence number)",
    ],
    ImportJob.Kind.DRIVERS: [
        "姓名 (name)",
        "身份证号 (id number)",
        "手机号 (phone)",
        "驾驶证号 (licence number)",
    ],
}
TEMPLATE_EXAMPLES = {
    ImportJob.Kind.VEHICLES: ["湘B12345", "重型货车", "430200123456"],
    ImportJob.Kind.DRIVERS: ["张三", "430202198506150011", "13912345678", "430202198506150011"],
}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, no header, missing column...)."""


def _header_key(kind, text):
    text = (text or "").strip().lower()
    # "车牌号 (plate)" from our own template: accept either half.
    candidates = {text}
    if "(" in text and text.endswith(")"):
        first, _sep, rest = text.partition("(")
        candidates |= {first.strip(), rest[:-1].strip()}
    for column in COLUMNS[kind]:
        if candidates & {h.lower() for h in column.headers}:
            return column.key
    return None


# The names used on Chinese vehicle licences (行驶证), accepted whatever the interface language.
# --- Reading -----------------------------------------------------------------------------------


def _decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded."))


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into Excel come back as floats
    return str(value).strip()


def read_rows(fileobj, name: str):
    """All rows of the first sheet (XLSX) or the CSV as lists of strings, with line numbers."""
    raw = fileobj.read()
    if raw[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for broken files
            raise ImportFileError(
                _("The spreadsheet cannot be read: %(error)s") % {"error": error}
            ) from error
        try:
            sheet = workbook.worksheets[0]
            rows = [
                (line, [_cell(v) for v in values])
                for line, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            workbook.close()
        return rows
    if b"\x00" in raw[:1024]:
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    text = _decode_csv(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [
        (line, [_cell(v) for v in values])
        for line, values in enumerate(csv.reader(io.StringIO(text), dialect), start=1)
    ]


def parse(kind, rows):
    """Map the header to columns; returns ``[(line, {key: value})]`` for non-blank rows."""
    rows = [(line, values) for line, values in rows if any(values)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    header_line, header = rows[0]
    keys = [_header_key(kind, text) for text in header]
    present = set(keys)
    missing = [str(c.label) for c in COLUMNS[kind] if c.required and c.key not in present]
    if missing:
        raise ImportFileError(
            _("Missing column: %(columns)s (line %(line)d should be the header row).")
            % {"columns": "、".join(missing), "line": header_line}
        )
    parsed = []
    for line, values in rows[1:]:
        record = {}
        for key, value in zip(keys, values, strict=False):
            if key and key not in record:
                record[key] = value
        parsed.append((line, record))
    if len(parsed) > MAX_ROWS:
        raise ImportFileError(
            _("The file has %(count)d rows; at most %(max)d can be imported at once.")
            % {"count": len(parsed), "max": MAX_ROWS}
        )
    return parsed


def template_file(kind, fmt):
    """The downloadable template: bytes and content type."""
    headers = TEMPLATE_HEADERS[kind]
    example = TEMPLATE_EXAMPLES[kind]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerow(example)
        # UTF-8 with a BOM so Excel opens the Chinese headers correctly.
        return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "vehicles" if kind == ImportJob.Kind.VEHICLES else "drivers"
    sheet.append(headers)
    sheet.append(example)
    for column in sheet.columns:
        column[0].font = openpyxl.styles.Font(bold=True)
        sheet.column_dimensions[column[0].column_letter].width = 24
        for cell in column:
            cell.number_format = "@"  # text, so ID and phone numbers keep every digit
    out = io.BytesIO()
    workbook.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
