"""Plain text written by people, made safe to show: escaped everywhere, and only http(s)
addresses turned into links (no ``javascript:``, ``data:`` or ``mailto:``)."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# An http(s) address ends at whitespace, quotes, angle brackets or full-width punctuation.
URL = re.compile(r"""https?://[^\s<>"'\u3000-\u303f\uff01-\uff5e]+""", re.IGNORECASE)
TRAILING = ".,;:!?)]}"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Unify line ends and drop control and bidi-override characters (they can disguise a link
    or a name); trailing spaces go, the text is otherwise kept as written."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def linkify(text: str) -> SafeString:
    """HTML for ``text``: everything escaped, http(s) addresses as links that open apart."""
    text = text or ""
    parts = []
    last = 0
    for match in URL.finditer(text):
        url = match.group(0)
        trail = ""
        while url and url[-1] in TRAILING:
            trail = url[-1] + trail
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        parts.append(escape(text[last : match.start()]))
        parts.append(
            f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" '
            f'target="_blank">{escape(url)}</a>'
        )
        parts.append(escape(trail))
        last = match.end()
    parts.append(escape(text[last:]))
    html = "".join(parts).replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every piece above was escaped


def with_templates(model, field: str, template_ids, free_text, *, separator: str) -> str:
    """Template text plus free text, the one home of that rule: the chosen active templates'
    ``field`` (a model with ``is_active``: reply and return-reason templates), in the order
    they are kept, then the person's own words; ids that are not numbers are ignored."""
    ids = [int(pk) for pk in template_ids or () if str(pk).isdigit() and len(str(pk)) <= 18]
    texts = list(
        model.objects.filter(pk__in=ids, is_active=True).values_list(field, flat=True)
        if ids
        else ()
    )
    own = (free_text or "").strip()
    if own:
        texts.append(own)
    return separator.join(texts)
