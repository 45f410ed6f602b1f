"""Reading the spreadsheets of a fleet import, and writing the downloadable templates.

CSV (UTF-8 or GBK, as Excel saves it in China) and XLSX; the header row names the columns in
Chinese or English (``车牌号`` or ``plate``; our template's ``车牌号 (plate)`` too).
"""

import codecs
import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.imports import ImportJob


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


# --- Reading -----------------------------------------------------------------------------------
#
# Reading runs in a bounded child process (``fleet_import.run_import``, ``documents.sandbox``);
# these structural limits make a hostile file fail with a clear reason long before the
# memory and CPU bounds end the child: the archive is measured before openpyxl opens it, the
# sheet's claimed size is checked before a row is read, and rows are streamed with the caps
# enforced while reading, so no more than ``max_lines`` rows are ever built.


@dataclass(frozen=True)
class ReadLimits:
    """Structural limits of one import file; the figures are the ``PASSDESK_IMPORT_*``
    settings (``from_settings``), read in the worker and handed to the child."""

    max_rows: int  # non-blank rows under the header
    max_lines: int  # lines read, blank ones too; also the most rows a sheet may claim
    max_columns: int  # columns read; any further right are ignored
    max_cell_chars: int  # a longer cell is cut (no field of ours comes near it)
    max_line_chars: int  # CSV: a longer physical line refuses the file
    max_unpacked_bytes: int  # XLSX: the members' uncompressed sizes, summed
    max_members: int  # XLSX: files inside the archive
    max_prolog_bytes: int = 65536  # XLSX: an XML part's bytes before its root element

    @classmethod
    def from_settings(cls):
        return cls(
            max_rows=settings.PASSDESK_IMPORT_MAX_ROWS,
            max_lines=settings.PASSDESK_IMPORT_MAX_LINES,
            max_columns=settings.PASSDESK_IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.PASSDESK_IMPORT_MAX_CELL_CHARS,
            max_line_chars=settings.PASSDESK_IMPORT_MAX_LINE_CHARS,
            max_unpacked_bytes=settings.PASSDESK_IMPORT_MAX_UNPACKED_BYTES,
            max_members=settings.PASSDESK_IMPORT_MAX_ZIP_MEMBERS,
        )


def preload():
    """Import the XLSX reader in the worker once, so each bounded child shares it."""
    import openpyxl  # noqa: F401


def _csv_encoding(raw: bytes) -> str:
    """UTF-8 (with or without a BOM) or GBK, checked chunk by chunk: the whole file is never
    held as text."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(raw), 65536):
                decoder.decode(raw[start : start + 65536])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded."))


def _cell(value, limit=256):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into Excel come back as floats
    return str(value)[: limit * 4].strip()[:limit]


def _too_many_lines(limits):
    return ImportFileError(
        _("The file has more than %(max)d lines; split it into several imports.")
        % {"max": limits.max_lines}
    )


class _RootReached(Exception):
    pass


def _claimed_rows(ref):
    """The last row of a ``<dimension ref="A1:XFD1048576">``, or None if it names none."""
    last = (ref or "").rpartition(":")[2]
    digits = last.lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() else None


class _SheetScan:
    """Expat handlers that walk a worksheet part as a stream of tags, in constant memory,
    before openpyxl sees it: the claimed dimension, the rows (their count and numbers) and
    the cells of each row are checked against the limits. openpyxl builds a whole row at a
    time and reads an unsized sheet to its end for its size; after this scan it only gets
    sheets it reads in a few megabytes."""

    def __init__(self, limits, whole):
        self.limits = limits
        self.whole = whole  # False: stop at the root element (parts that are not sheets)
        self.rows = self.cells = 0
        self.row_cells = 16 * limits.max_columns

    def doctype(self, *_args):
        raise ImportFileError(_("The spreadsheet contains an XML document type declaration."))

    def start(self, name, attrs):
        if not self.whole:
            raise _RootReached
        tag = name.rpartition(":")[2]
        if tag == "c":
            self.cells += 1
            if self.cells > self.row_cells:
                raise ImportFileError(
                    _("A row of the sheet has more than %(max)d cells.") % {"max": self.row_cells}
                )
        elif tag == "row":
            self.rows += 1
            self.cells = 0
            number = attrs.get("r", "")
            line = int(number) if number.isdigit() else self.rows
            if max(line, self.rows) > self.limits.max_lines:
                raise _too_many_lines(self.limits)
        elif tag == "dimension":
            claimed = _claimed_rows(attrs.get("ref"))
            if claimed and claimed > self.limits.max_lines:
                raise ImportFileError(
                    _(
                        "The sheet claims %(rows)d rows (%(range)s); at most %(max)d lines are "
                        "read. Copy the data into a new sheet, or delete the empty rows under "
                        "it, and try again."
                    )
                    % {"rows": claimed, "range": attrs.get("ref"), "max": self.limits.max_lines}
                )


def _scan_part(archive, info, limits, whole):
    """Refuse an XML part that declares a DTD (entity expansion, external entities: Excel, WPS
    and LibreOffice never write one); walk a worksheet to its end (``_SheetScan``), any other
    part up to its root element."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    scan = _SheetScan(limits, whole)
    parser.StartDoctypeDeclHandler = scan.doctype
    parser.EntityDeclHandler = scan.doctype
    parser.StartElementHandler = scan.start
    seen = 0
    with archive.open(info) as member:
        try:
            while whole or seen <= limits.max_prolog_bytes:
                chunk = member.read(65536)
                seen += len(chunk)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    return
        except _RootReached:
            return
        except expat.ExpatError as error:
            raise ImportFileError(
                _("The spreadsheet cannot be read: %(error)s") % {"error": error}
            ) from None
    raise ImportFileError(_("The spreadsheet cannot be read: one of its parts is malformed."))


def _check_archive(raw, limits):
    """Measure the XLSX archive before openpyxl unpacks anything (zip bombs)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise ImportFileError(
            _("The spreadsheet cannot be read: %(error)s") % {"error": error}
        ) from None
    if len(members) > limits.max_members:
        raise ImportFileError(
            _("The spreadsheet has %(count)d parts; an import may have at most %(max)d.")
            % {"count": len(members), "max": limits.max_members}
        )
    unpacked = sum(info.file_size for info in members)
    if unpacked > limits.max_unpacked_bytes:
        raise ImportFileError(
            _(
                "The spreadsheet unpacks to %(size)d MB, more than the %(max)d MB an import "
                "may hold; split it into several imports."
            )
            % {
                "size": unpacked // (1024 * 1024),
                "max": limits.max_unpacked_bytes // (1024 * 1024),
            }
        )
    if any(info.flag_bits & 0x1 for info in members):
        raise ImportFileError(_("The spreadsheet is encrypted; save it without a password."))
    try:
        for info in members:
            name = info.filename.lower()
            if name.endswith((".xml", ".rels", ".vml")):
                whole = name.startswith("xl/worksheets/") and name.endswith(".xml")
                _scan_part(archive, info, limits, whole)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as error:
        raise ImportFileError(
            _("The spreadsheet cannot be read: %(error)s") % {"error": error}
        ) from None
    finally:
        archive.close()


def _xlsx_rows(raw, limits):
    _check_archive(raw, limits)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except MemoryError:
        raise
    except Exception as error:  # openpyxl raises many kinds for broken files
        raise ImportFileError(
            _("The spreadsheet cannot be read: %(error)s") % {"error": error}
        ) from None
    try:
        # The claim was checked with the archive; rows are now read as they come, whatever it said.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, max_col=limits.max_columns, values_only=True)
        for line, values in enumerate(rows, start=1):
            if line > limits.max_lines:
                raise _too_many_lines(limits)
            yield line, [_cell(v, limits.max_cell_chars) for v in values]
    except (ImportFileError, MemoryError):
        raise
    except Exception as error:
        raise ImportFileError(
            _("The spreadsheet cannot be read: %(error)s") % {"error": error}
        ) from None
    finally:
        workbook.close()


def _csv_lines(stream, limits):
    while line := stream.readline(limits.max_line_chars + 1):
        if len(line) > limits.max_line_chars:
            raise ImportFileError(
                _("A line of the file is longer than %(max)d characters.")
                % {"max": limits.max_line_chars}
            )
        yield line


def _csv_rows(raw, limits):
    if b"\x00" in raw[:1024]:
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    encoding = _csv_encoding(raw)
    sample = raw[:8192].decode(encoding, errors="ignore")[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    reader = csv.reader(_csv_lines(stream, limits), dialect)
    try:
        for line, values in enumerate(reader, start=1):
            if line > limits.max_lines:
                raise _too_many_lines(limits)
            yield line, [_cell(v, limits.max_cell_chars) for v in values[: limits.max_columns]]
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from None


def read_rows(raw: bytes, name: str, limits: ReadLimits | None = None):
    """The rows of the first sheet (XLSX) or the CSV as lists of strings, with line numbers,
    one at a time: the limits are enforced while reading."""
    limits = limits or ReadLimits.from_settings()
    if raw[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        return _xlsx_rows(raw, limits)
    return _csv_rows(raw, limits)


def parse(kind, rows, limits: ReadLimits | None = None):
    """Map the header to columns; returns ``[(line, {key: value})]`` for non-blank rows,
    refusing the file as soon as it has more than ``max_rows`` of them."""
    limits = limits or ReadLimits.from_settings()
    rows = ((line, values) for line, values in rows if any(values))
    first = next(rows, None)
    if first is None:
        raise ImportFileError(_("The file is empty."))
    header_line, header = first
    keys = [_header_key(kind, text) for text in header]
    present = set(keys)
    missing = [str(c.label) for c in COLUMNS[kind] if c.required and c.key not in present]
    if missing:
        raise ImportFileError(
            _("Missing column: %(columns)s (line %(line)d should be the header row).")
            % {"columns": "、".join(missing), "line": header_line}
        )
    parsed = []
    for line, values in rows:
        if len(parsed) == limits.max_rows:
            raise ImportFileError(
                _("The file has more than %(max)d rows; at most %(max)d can be imported at once.")
                % {"max": limits.max_rows}
            )
        record = {}
        for key, value in zip(keys, values, strict=False):
            if key and key not in record:
                record[key] = value
        parsed.append((line, record))
    return parsed


def read_import(raw: bytes, name: str, kind: str, limits: ReadLimits | None = None):
    """The whole read of one import file, as the bounded child runs it: plain values back."""
    limits = limits or ReadLimits.from_settings()
    return parse(kind, read_rows(raw, name, limits), limits)


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
