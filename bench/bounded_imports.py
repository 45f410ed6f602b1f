"""What the worst fleet-import files cost inside their bounds (docs/security.md, "Bounded
parsing of uploads").

``python manage.py benchmark bounded_imports``: each hostile file of
``_spreadsheet_bombs`` (issue 26's, and the worst we built against our own limits) is read
the way ``run_import`` reads it: ``read_import`` in a child under the ``PASSDESK_IMPORT_*``
bounds. Printed per file: its size, the outcome (rows read, the refusal, or the bound that
stopped it), the child's peak resident memory and what the reading added to it, its CPU and
wall seconds. One run each (the figures are what a single upload costs); ``--runs`` is
ignored. No database.
"""

from django.conf import settings

from passes.documents.sandbox import SandboxError, run_bounded_measured
from passes.enterprises.fleet_import_io import ImportFileError, ReadLimits, preload, read_import

from . import _spreadsheet_bombs as bombs
from . import machine_line

MB = 1024 * 1024


def samples(limits):
    """(label, file name, content) for every file measured; the tests use them too."""
    cap = limits.max_unpacked_bytes
    return [
        ("issue 26: claims A1:XFD1048576", "a.xlsx", bombs.dimension_bomb()),
        ("issue 26: unsized, 5M empty rows", "b.xlsx", bombs.unsized_rows_xlsx(5_000_000)),
        ("row numbered 1048576", "c.xlsx", bombs.far_row_xlsx()),
        (
            f"{limits.max_rows + 1} rows, one over the cap",
            "d.xlsx",
            bombs.many_rows_xlsx(limits.max_rows + 1),
        ),
        ("zip bomb: 1 GiB shared strings", "e.xlsx", bombs.zip_bomb_xlsx()),
        ("zip bomb lying about its size", "f.xlsx", bombs.lying_zip_bomb_xlsx()),
        ("billion laughs (DTD)", "g.xlsx", bombs.doctype_xlsx()),
        ("one row of cells filling the cap", "h.xlsx", bombs.wide_row_xlsx(cap - 4096)),
        ("styles filling the cap", "i.xlsx", bombs.styles_xlsx(cap - 16384)),
        ("shared strings filling the cap", "j.xlsx", bombs.shared_strings_xlsx(cap - 16384)),
        (
            "blank rows of 64 cells filling the cap",
            "k.xlsx",
            bombs.blank_cells_xlsx(cap, limits.max_columns),
        ),
        (
            "blank rows of 1024 cells filling the cap",
            "l.xlsx",
            bombs.blank_cells_xlsx(cap, 16 * limits.max_columns),
        ),
        (
            f"{limits.max_rows} good rows (the largest accepted)",
            "m.xlsx",
            bombs.many_rows_xlsx(limits.max_rows),
        ),
        (
            "issue 26 CSV: 5 MB of empty lines",
            "n.csv",
            bombs.blank_lines_csv(settings.PASSDESK_IMPORT_MAX_BYTES),
        ),
        ("CSV: one 5 MB line", "o.csv", bombs.long_line_csv(settings.PASSDESK_IMPORT_MAX_BYTES)),
        (
            "CSV: 5 MB of 64-column rows",
            "p.csv",
            bombs.full_csv(settings.PASSDESK_IMPORT_MAX_BYTES, limits.max_columns),
        ),
    ]


def measure(raw, name, limits):
    """(outcome, Usage) of one bounded read, exactly as ``run_import`` does it."""
    try:
        result = run_bounded_measured(
            read_import,
            raw,
            name,
            "vehicles",
            limits,
            memory_bytes=settings.PASSDESK_IMPORT_MEMORY_BYTES,
            cpu_seconds=settings.PASSDESK_IMPORT_CPU_SECONDS,
            wall_seconds=settings.PASSDESK_IMPORT_WALL_SECONDS,
        )
    except ImportFileError as error:
        return f"refused: {error}", error.sandbox_usage
    except SandboxError as error:
        return f"stopped: {error}", error.usage
    return f"read {len(result.value)} rows", result.usage


def run(stdout, runs: int) -> None:
    import warnings

    from django.utils import translation

    preload()
    limits = ReadLimits.from_settings()
    stdout.write(f"bounded_imports ({machine_line()})")
    stdout.write(
        f"  bounds: memory +{settings.PASSDESK_IMPORT_MEMORY_BYTES // MB} MB, "
        f"CPU {settings.PASSDESK_IMPORT_CPU_SECONDS} s, "
        f"wall {settings.PASSDESK_IMPORT_WALL_SECONDS} s; "
        f"{limits}"
    )
    worst = slowest = None
    with translation.override("en"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's warnings about odd styles
        for label, name, raw in samples(limits):
            outcome, usage = measure(raw, name, limits)
            stdout.write(
                f"  {label}: {len(raw) / 1024:.1f} KB -> {outcome[:90]}\n"
                f"      peak RSS {usage.peak_rss_bytes / MB:.0f} MB "
                f"(+{usage.added_rss_bytes / MB:.0f} MB by the reading), "
                f"CPU {usage.cpu_seconds:.2f} s, wall {usage.wall_seconds:.2f} s"
            )
            if worst is None or usage.added_rss_bytes > worst[1].added_rss_bytes:
                worst = (label, usage)
            if slowest is None or usage.cpu_seconds > slowest[1].cpu_seconds:
                slowest = (label, usage)
    stdout.write(
        f"  most memory added: {worst[0]} (+{worst[1].added_rss_bytes / MB:.0f} MB, "
        f"CPU {worst[1].cpu_seconds:.2f} s)"
    )
    stdout.write(
        f"  most CPU: {slowest[0]} ({slowest[1].cpu_seconds:.2f} s, "
        f"+{slowest[1].added_rss_bytes / MB:.0f} MB)"
    )
