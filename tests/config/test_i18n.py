"""Simplified Chinese by default, English on request; the shipped .mo matches the .po and every
entry is translated, so a fresh install shows Chinese without gettext installed."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from passes import validators
from passes.requests import workflow
from tests.factories.workflow import submitted_request

LOCALE = Path(settings.BASE_DIR) / "passes" / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries():
    """(context, msgid, msgstr, flags) of every live entry of the .po file."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fields, current = {}, None
        flags = " ".join(line for line in lines if line.startswith("#,"))
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = eval(match.group(2))  # noqa: S307 - a PO string literal
            elif line.startswith('"') and current:
                fields[current] += eval(line)  # noqa: S307
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        entries.append((fields.get("msgctxt"), fields["msgid"], msgstr, flags))
    return [entry for entry in entries if entry[1]]  # not the header


def test_every_entry_is_translated():
    entries = po_entries()
    assert len(entries) > 500
    untranslated = [msgid for _ctx, msgid, msgstr, _flags in entries if not msgstr]
    fuzzy = [msgid for _ctx, msgid, _msgstr, flags in entries if "fuzzy" in flags]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy (check and clear the flag): {fuzzy[:10]}"


def test_the_shipped_mo_matches_the_po():
    """The compiled catalog is what Django loads; it must hold the .po's translations."""
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = []
    for context, msgid, msgstr, _flags in po_entries():
        got = catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert not stale, f"run compilemessages: {len(stale)} entries differ, e.g. {stale[:5]}"


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "一车一证一线路" in chinese
    assert "One vehicle, one pass, one route" not in chinese
    assert 'lang="zh-hans"' in chinese
    assert "One vehicle, one pass, one route" in english
    assert "一车一证一线路" not in english


@pytest.mark.django_db
def test_the_language_switch_remembers_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "One vehicle, one pass, one route" in client.get("/").content.decode()


def test_validation_errors_are_translated():
    def message(language):
        with translation.override(language):
            with pytest.raises(ValidationError) as caught:
                validators.validate_credit_code("91350100M000100Y44")
            return caught.value.messages[0]  # lazy: must be read in the language

    assert message("zh-hans") == "该统一社会信用代码的校验码不正确；请对照营业执照核对。"
    assert message("en").startswith("The check character of this unified social credit code")


@pytest.mark.django_db
def test_workflow_errors_read_naturally_in_chinese(applicant):
    pass_request = submitted_request(applicant)
    with translation.override("zh-hans"), pytest.raises(workflow.WorkflowError) as caught:
        workflow.submit(pass_request, by=applicant)
    assert caught.value.message == f"申请 {pass_request.reference} 当前为“已提交”，现在不能提交。"
