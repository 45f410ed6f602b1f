"""Shared admin plumbing: running workflow functions as admin actions."""

from django.contrib import messages
from django.utils.translation import gettext as _

from ..errors import WorkflowError


def run_for_each(modeladmin, http_request, queryset, operation, success_message):
    """Call ``operation(obj)`` for each selected object; report successes and domain errors."""
    done = 0
    for obj in queryset:
        try:
            operation(obj)
        except WorkflowError as error:
            modeladmin.message_user(http_request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(http_request, success_message % {"count": done}, messages.SUCCESS)
    return done


class ReadOnlyAdminMixin:
    """For records nobody edits through the application (the audit trail)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def reason_required_message():
    return _(
        "Give a reason first: select the requests, type it in the reason box and run the "
        "action again."
    )
