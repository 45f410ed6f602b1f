"""``{{ text|linkify }}``: escaped plain text with http(s) links (see ``passes.messaging.text``)."""

from django import template

from ..messaging.text import linkify as _linkify

register = template.Library()


@register.filter
def linkify(value):
    return _linkify(str(value or ""))
