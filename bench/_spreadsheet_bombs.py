"""Hostile spreadsheets for the fleet import: the files of issue 26 and the worst we could build
against our own limits. Used by ``benchmark bounded_imports`` and by the tests that assert
each one is refused within its bounds.

Every XLSX here is written part by part with ``zipfile``, the way an attacker would, so that
nothing (openpyxl's writer included) tidies the trap away.
"""

import io
import zipfile

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"%(extra)s</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/>%(extra)s</Relationships>'
)
SHEET_OPEN = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>plate</t></is></c></row>'


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _sheet(rows: bytes, dimension: str | None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return SHEET_OPEN + dim + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def _xlsx(sheet: bytes, parts: dict[str, bytes] | None = None, level: int = 9) -> bytes:
    """An XLSX of one sheet (and any extra parts, e.g. styles or shared strings)."""
    parts = parts or {}
    extra_types = b""
    extra_rels = b""
    if "xl/sharedStrings.xml" in parts:
        extra_types += (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        extra_rels += (
            b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
    if "xl/styles.xml" in parts:
        extra_types += (
            b'<Override PartName="/xl/styles.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        )
        extra_rels += (
            b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/styles" Target="styles.xml"/>'
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES % {b"extra": extra_types})
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS % {b"extra": extra_rels})
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def dimension_bomb() -> bytes:
    """Issue 26's file: about 1.5 KB, a sheet that claims A1:XFD1048576 (17 billion cells)."""
    return _xlsx(
        _sheet(HEADER_ROW + b'<row r="2">' + _inline("A2", "湘B12345") + b"</row>", "A1:XFD1048576")
    )


def many_rows_xlsx(rows: int) -> bytes:
    """A well-formed vehicle sheet with ``rows`` data rows (plates that validate)."""
    body = [HEADER_ROW]
    for n in range(rows):
        line = n + 2
        body.append(
            f'<row r="{line}">'.encode() + _inline(f"A{line}", f"湘B{n % 100000:05d}") + b"</row>"
        )
    return _xlsx(_sheet(b"".join(body), f"A1:A{rows + 1}"))


def unsized_rows_xlsx(rows: int, claim: str | None = None) -> bytes:
    """Issue 26's 1.26 MB variant: millions of empty rows, the dimension absent (or a lie)."""
    return _xlsx(_sheet(HEADER_ROW + b"<row/>" * rows, claim))


def far_row_xlsx() -> bytes:
    """Two rows, the second numbered 1048576: a reader that fills the gap builds a million."""
    row = b'<row r="1048576">' + _inline("A1048576", "湘B12345") + b"</row>"
    return _xlsx(_sheet(HEADER_ROW + row, None))


def zip_bomb_xlsx(unpacked: int = 1024 * 1024 * 1024) -> bytes:
    """A shared-strings part of ``unpacked`` bytes (1 GiB by default) in about a megabyte."""
    filler = b"<si><t>" + b" " * (unpacked - 64) + b"</t></si>"
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + filler
        + b"</sst>"
    )
    return _xlsx(_sheet(HEADER_ROW, "A1"), {"xl/sharedStrings.xml": strings}, level=9)


def lying_zip_bomb_xlsx(unpacked: int = 256 * 1024 * 1024) -> bytes:
    """As ``zip_bomb_xlsx``, but the archive's directory claims the part unpacks to 1 KB."""
    content = bytearray(zip_bomb_xlsx(unpacked))
    directory = content.rfind(b"PK\x01\x02")  # the last member: xl/sharedStrings.xml
    content[directory + 24 : directory + 28] = (1024).to_bytes(4, "little")
    return bytes(content)


def doctype_xlsx() -> bytes:
    """Billion laughs in the sheet itself: entities that expand to gigabytes of text."""
    laughs = (
        b'<!DOCTYPE worksheet [<!ENTITY a0 "ha">'
        + b"".join(
            f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">'.encode() for n in range(1, 10)
        )
        + b"]>"
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + laughs
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    return _xlsx(sheet)


def wide_row_xlsx(unpacked: int) -> bytes:
    """The worst sheet inside the unpacked-size cap that we found: one row holding as many
    cells as fit (openpyxl builds the whole row, element and dicts, before a cap can look)."""
    cell = b'<c t="n"><v>1</v></c>'
    count = (unpacked - 4096) // len(cell)
    return _xlsx(_sheet(HEADER_ROW + b'<row r="2">' + cell * count + b"</row>", None))


def styles_xlsx(unpacked: int) -> bytes:
    """A styles part of cell formats filling the unpacked-size cap (read whole by openpyxl)."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    count = (unpacked - 8192) // len(xf)
    styles = (
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill/></fill></fills>'
        b'<borders count="1"><border/></borders>'
        b'<cellXfs count="%d">' % count + xf * count + b"</cellXfs></styleSheet>"
    )
    return _xlsx(_sheet(HEADER_ROW, "A1"), {"xl/styles.xml": styles})


def shared_strings_xlsx(unpacked: int) -> bytes:
    """A shared-strings part of one-character strings filling the unpacked-size cap."""
    item = b"<si><t>x</t></si>"
    count = (unpacked - 4096) // len(item)
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + item * count
        + b"</sst>"
    )
    return _xlsx(_sheet(HEADER_ROW, "A1"), {"xl/sharedStrings.xml": strings})


def full_sheet_xlsx(lines: int, columns: int, chars: int) -> bytes:
    """Every line and column the caps allow, each cell as long as a cell may be."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    text = "湘" * chars
    body = [HEADER_ROW]
    for line in range(2, lines + 1):
        cells = b"".join(_inline(f"{letter}{line}", text) for letter in letters)
        body.append(f'<row r="{line}">'.encode() + cells + b"</row>")
    return _xlsx(_sheet(b"".join(body), f"A1:{letters[-1]}{lines}"))


def blank_lines_csv(size: int) -> bytes:
    """Issue 26's huge CSV: a header, then ``size`` bytes of empty lines."""
    return b"plate\n" + b"\n" * (size - 6)


def long_line_csv(size: int) -> bytes:
    """One line of ``size`` bytes of commas (a field count no sheet has)."""
    return b"plate\n" + b"," * (size - 7) + b"\n"


def full_csv(size: int, columns: int) -> bytes:
    """As many rows of ``columns`` short fields as fit in ``size`` bytes."""
    row = ("湘B12345," + ",".join("x" * 3 for _ in range(columns - 1)) + "\n").encode()
    return b"plate\n" + row * ((size - 6) // len(row))


def blank_cells_xlsx(unpacked: int, cells_per_row: int) -> bytes:
    """Rows of empty cells up to the unpacked-size cap: blank rows do not count as data, so
    every one is read (and each of its cells parsed) before a row cap could stop the file."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, cells_per_row + 1)]
    body = [HEADER_ROW]
    size, line = len(HEADER_ROW), 2
    while True:
        row = (
            f'<row r="{line}">'.encode()
            + b"".join(f'<c r="{letter}{line}"/>'.encode() for letter in letters)
            + b"</row>"
        )
        if size + len(row) > unpacked - 4096:
            break
        body.append(row)
        size += len(row)
        line += 1
    return _xlsx(_sheet(b"".join(body), None))
