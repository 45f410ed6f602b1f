"""docs/notifications.md prints the template table officers submit to the providers: it must
say what the code sends, kind by kind."""

from pathlib import Path

from passes.notifications import kinds

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def test_the_documented_template_table_is_the_codes():
    text = DOCS.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in text.splitlines()
        if line.startswith("| `") and line.count("|") == 4
    }
    assert set(kinds.KINDS) <= set(rows)
    for name, kind in kinds.KINDS.items():
        row = rows[name]
        assert kinds.wording_for(name, "alibaba") in row, name
        assert (", ".join(kind.params) or "—") in row, name
