"""``{% machine_check doc as summary %}``: a document's machine reading, ready to show."""

from django import template

from ..documents.ocr.presenting import summarize

register = template.Library()


@register.simple_tag
def machine_check(document):
    return summarize(document)
