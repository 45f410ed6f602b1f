"""Small template helpers for the portal pages."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def optional_url(*names_and_args):
    """The URL of the first routed name, or "" when none is routed yet.

    Other areas (checkpoint, pass PDFs, file downloads) land their views in parallel; a page
    links to them only once they exist instead of failing to render. Names are given first and
    arguments after a literal ``"--"``: ``{% optional_url "a" "b" "--" obj.pk as url %}``.
    """
    if "--" in names_and_args:
        split = names_and_args.index("--")
        names, args = names_and_args[:split], names_and_args[split + 1 :]
    else:
        names, args = names_and_args, ()
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag(takes_context=True)
def nav_current(context, prefix):
    """``aria-current="page"`` on the navigation link of the section being shown."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is None:
        return ""
    if match.view_name == prefix or (prefix.endswith("-") and match.view_name.startswith(prefix)):
        return mark_safe(' aria-current="page"')  # noqa: S308 - a constant
    return ""


@register.filter
def field_kind(bound_field):
    """The widget's input type, so the field template can lay out checkboxes differently."""
    widget = bound_field.field.widget
    return getattr(widget, "input_type", None) or widget.__class__.__name__.lower()


@register.filter
def window_end(moment):
    """The end of a validity window in Beijing time, a midnight written as 24:00 of the day
    before ("12-06 24:00", not "12-07 00:00", which leaves people unsure about the 7th)."""
    if not moment:
        return ""
    from ..issuing.pdf.sheet import local_end

    return local_end(moment)
