"""A notification's texts in the recipient's language (subject, e-mail, SMS).

Each event has its own texts per language under
``passes/templates/passes/notifications/<language>/``: ``<name>_subject.txt``, ``<name>.txt``
(the e-mail's plain-text part) and ``<name>_sms.txt``; the HTML part wraps the plain text in that
language's ``email.html``. Whole texts are written per language, rather than assembled from
gettext fragments, so that the Chinese reads naturally and each SMS can be checked against the
70-character limit as it will be sent. Rendering runs under ``translation.override`` so model
labels, dates and numbers follow the language too.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template import Engine
from django.template.loader import render_to_string
from django.utils import translation

LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
TEMPLATE_DIR = "passes/notifications"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


@lru_cache(maxsize=1)
def _text_engine() -> Engine:
    """Plain-text templates must not HTML-escape what they print."""
    return Engine(
        app_dirs=True,
        autoescape=False,
        debug=settings.DEBUG,
        builtins=["django.templatetags.i18n", "django.contrib.humanize.templatetags.humanize"],
    )


def normalise_language(language: str | None) -> str:
    language = (language or "").lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def render(name: str, language: str, context: dict, *, sms: bool = True) -> Rendered:
    language = normalise_language(language)
    base = f"{TEMPLATE_DIR}/{language}/{name}"
    engine = _text_engine()
    with translation.override(language):
        ctx = {**context, "language": language}
        subject = " ".join(engine.get_template(f"{base}_subject.txt").render(_ctx(ctx)).split())
        text = _tidy(engine.get_template(f"{base}.txt").render(_ctx(ctx)))
        html = render_to_string(
            f"{TEMPLATE_DIR}/{language}/email.html", {**ctx, "subject": subject, "text": text}
        )
        message = ""
        if sms:
            message = " ".join(engine.get_template(f"{base}_sms.txt").render(_ctx(ctx)).split())
    return Rendered(subject=subject[:300], text=text, html=html, sms=message)


def _ctx(context):
    from django.template import Context

    return Context(context, autoescape=False)


def _tidy(text: str) -> str:
    """Strip trailing spaces and collapse the blank lines template tags leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
