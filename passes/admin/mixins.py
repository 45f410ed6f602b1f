"""Shared admin plumbing: the access policy every model admin goes through, and running
workflow functions as admin actions."""

from django.contrib import admin, messages
from django.http import Http404
from django.utils.text import capfirst

from .. import access
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


class PolicyScopedAdmin(admin.ModelAdmin):
    """Every model admin's base: its rows are the model's access policy's
    (``passes.access.visible``), so the changelist, the change, history and delete pages, the
    actions, exports, autocomplete and raw-id lookups all see the same rows; a row outside is a
    404 (Django's "does not exist" redirect would differ from other routes). Foreign-key and
    many-to-many choices are cut to the related model's policy too."""

    class Media:
        # passdesk's admin-wide styles: flags, ticked lists, confirmation pages, column widths.
        css = {"all": ("passes_admin/admin.css",)}

    @property
    def access_policy(self):
        return access.selectors.POLICY_OF_MODEL[self.model._meta.concrete_model]

    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)

    def changelist_view(self, request, extra_context=None):
        """The list is titled by what it lists ("企业"), not Django's "选择 企业 来修改"."""
        extra_context = {"title": capfirst(self.model._meta.verbose_name_plural)} | (
            extra_context or {}
        )
        return super().changelist_view(request, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def _related_choices(self, db_field, request, kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and access.selectors.condition_for(related) is not None:
            kwargs["queryset"] = access.visible(related, request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._related_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._related_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class PolicyScopedInline:
    """Inlines: related choices cut to the policy (the parent page is scoped already)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        PolicyScopedAdmin._related_choices(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        PolicyScopedAdmin._related_choices(self, db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
