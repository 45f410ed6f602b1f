"""The wording of durations in templates: ``passes.wording.durations`` as filters."""

from django import template

from ..wording import durations

register = template.Library()


@register.filter
def span(value):
    """``{{ pass_type.health_proof_max_age_hours|span }}``: "48 hours"; a timedelta or hours."""
    if value in (None, ""):
        return ""
    return durations.span(value)


@register.filter
def elapsed(value):
    """``{{ waited|elapsed }}``: "5 h 02 min"."""
    return durations.elapsed(value)
