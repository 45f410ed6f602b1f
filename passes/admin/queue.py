"""The review queue: submitted and in-review requests, oldest first.

The changelist annotates the vehicle count (``PassRequest.objects.with_vehicle_count``) and
computes the warnings of the whole page in bulk (``passes.requests.review.warnings_for``), so a
page costs the same few queries whatever its size. The change view is the review page
(``review_page.py``).
"""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import roles
from ..documents.ocr.request_checks import annotate_machine_check
from ..messaging.messages import unanswered
from ..models import Pass, PassRequest, RequestItem, ReviewQueue
from ..requests import review
from ..validators import normalize_plate
from ..wording import durations
from . import readings, review_messages, review_page
from .exports import ExportMixin
from .mixins import PolicyScopedAdmin

Status = PassRequest.Status


def target_hours() -> float:
    return float(settings.PASSDESK_REVIEW_TARGET_HOURS)


class QueueStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (Status.SUBMITTED, Status.SUBMITTED.label),
            (Status.IN_REVIEW, Status.IN_REVIEW.label),
        ]

    def queryset(self, request, queryset):
        if self.value() in (Status.SUBMITTED, Status.IN_REVIEW):
            return queryset.filter(status=self.value())
        return queryset


class ReviewerFilter(admin.SimpleListFilter):
    title = gettext_lazy("reviewer")
    parameter_name = "reviewer"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("unassigned", _("Unassigned")), ("others", _("Others'"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assigned_reviewer=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assigned_reviewer__isnull=True)
        if self.value() == "others":
            return queryset.filter(assigned_reviewer__isnull=False).exclude(
                assigned_reviewer=request.user
            )
        return queryset


class KeyEnterpriseFilter(admin.SimpleListFilter):
    title = gettext_lazy("key enterprise")
    parameter_name = "key"

    def lookups(self, request, model_admin):
        return [("yes", _("Key enterprises")), ("no", _("Other enterprises"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(enterprise__is_key_enterprise=self.value() == "yes")
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("waiting")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Longer than %(hours)g h") % {"hours": target_hours()})]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            cutoff = timezone.now() - datetime.timedelta(hours=target_hours())
            return queryset.filter(submitted_at__lt=cutoff)
        return queryset


class UnansweredMessagesFilter(admin.SimpleListFilter):
    title = gettext_lazy("messages")
    parameter_name = "messages"

    def lookups(self, request, model_admin):
        return [("unanswered", _("Has unanswered messages"))]

    def queryset(self, request, queryset):
        if self.value() == "unanswered":
            return queryset.filter(unanswered())


class MachineCheckFilter(admin.SimpleListFilter):
    title = gettext_lazy("machine check")
    parameter_name = "machine"

    def lookups(self, request, model_admin):
        return [
            ("all_match", _("Machine check: all match")),
            ("mismatch", _("Machine check: mismatch")),
            ("other", _("Not all machine-read")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "all_match":
            return queryset.filter(machine_all_match=True)
        if self.value() == "mismatch":
            return queryset.filter(machine_mismatch=True)
        if self.value() == "other":
            return queryset.filter(machine_all_match=False, machine_mismatch=False)
        return queryset


class QueueChangeList(ChangeList):
    """Attaches the page's warnings to each row, computed for the page at once."""

    def get_results(self, request):
        super().get_results(request)
        warnings = review.warnings_for(self.result_list)
        for obj in self.result_list:
            obj.review_warnings = warnings.get(obj.pk, [])
            obj.is_mine = obj.assigned_reviewer_id == request.user.pk


@admin.register(ReviewQueue)
class ReviewQueueAdmin(ExportMixin, PolicyScopedAdmin):
    change_list_template = "admin/passes/reviewqueue/change_list.html"
    list_display = (
        "reference_col",
        "enterprise_col",
        "pass_type",
        "vehicles_col",
        "waiting_col",
        "reviewer_col",
        "machine_col",
        "warnings_col",
        "messages_col",
    )
    list_display_links = ("reference_col",)
    list_filter = (
        QueueStatusFilter,
        "pass_type",
        ReviewerFilter,
        KeyEnterpriseFilter,
        OverdueFilter,
        UnansweredMessagesFilter,
        MachineCheckFilter,
    )
    search_fields = (
        "reference",
        "enterprise__name",
        "=enterprise__credit_code",
        "=items__vehicle__plate",
        "items__drivers__name",
        "=passes__number",
    )
    search_help_text = gettext_lazy(
        "Reference, enterprise name or credit code, plate, driver name or pass number."
    )
    list_select_related = ("enterprise", "pass_type", "assigned_reviewer")
    list_per_page = 50
    show_full_result_count = False
    ordering = ("submitted_at", "pk")
    actions = ["claim_selected", "bulk_approve", "approve_clean_renewals"]
    export_kind = "requests"

    # --- permissions: reviewers and officers work the queue; nobody adds or deletes here ---

    def has_view_permission(self, request, obj=None):
        return roles.can_review(request.user)

    def has_change_permission(self, request, obj=None):
        return roles.can_review(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return roles.can_review(request.user)

    # --- queryset and columns ---

    def get_queryset(self, request):
        return annotate_machine_check(
            super()
            .get_queryset(request)
            .filter(status__in=PassRequest.QUEUE_STATUSES)
            .with_vehicle_count()
            .annotate(has_unanswered=unanswered())
        )

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_search_results(self, request, queryset, search_term):
        """One condition with subqueries instead of joins: no DISTINCT, no duplicate rows, and
        the plate typed as people write it (湘B·12345, lower case) still matches."""
        term = search_term.strip()
        if not term:
            return queryset, False
        plate = normalize_plate(term)
        through = RequestItem.drivers.through
        condition = (
            Q(reference__icontains=term)
            | Q(enterprise__name__icontains=term)
            | Q(enterprise__credit_code=term.upper())
            | Q(pk__in=RequestItem.objects.filter(vehicle__plate=plate).values("request_id"))
            | Q(
                pk__in=through.objects.filter(driver__name__icontains=term).values(
                    "requestitem__request_id"
                )
            )
            | Q(pk__in=Pass.objects.filter(number=term).values("request_id"))
        )
        return queryset.filter(condition), False

    @admin.display(description=gettext_lazy("reference"), ordering="reference")
    def reference_col(self, obj):
        return format_html('<span class="pd-ref">{}</span>', obj.reference)

    @admin.display(description=gettext_lazy("enterprise"), ordering="enterprise__name")
    def enterprise_col(self, obj):
        ent = obj.enterprise
        marks = []
        if ent.is_verified:
            marks.append(
                format_html('<span class="pd-mark pd-ok" title="{}">✓</span>', _("verified"))
            )
        else:
            marks.append(
                format_html(
                    '<span class="pd-mark pd-bad" title="{}">!</span>',
                    ent.get_verification_status_display(),
                )
            )
        if ent.is_key_enterprise:
            marks.append(
                format_html('<span class="pd-mark pd-key" title="{}">★</span>', _("key enterprise"))
            )
        return format_html("{} {}", ent.name, format_html_join("", "{}", ((m,) for m in marks)))

    @admin.display(description=gettext_lazy("vehicles"), ordering="vehicle_total")
    def vehicles_col(self, obj):
        return obj.vehicle_count()

    @admin.display(description=gettext_lazy("waiting"), ordering="submitted_at")
    def waiting_col(self, obj):
        if not obj.submitted_at:
            return "—"
        waited = timezone.now() - obj.submitted_at
        late = waited > datetime.timedelta(hours=target_hours())
        return format_html(
            '<span class="pd-wait{}" title="{}">{}</span>',
            " pd-late" if late else "",
            _("submitted %(time)s")
            % {"time": timezone.localtime(obj.submitted_at).strftime("%Y-%m-%d %H:%M")},
            durations.elapsed(waited),
        )

    @admin.display(description=gettext_lazy("reviewer"), ordering="assigned_reviewer__username")
    def reviewer_col(self, obj):
        if obj.assigned_reviewer is None:
            return format_html('<span class="pd-muted">{}</span>', _("unassigned"))
        name = obj.assigned_reviewer.get_full_name() or obj.assigned_reviewer.get_username()
        if getattr(obj, "is_mine", False):
            return format_html('<strong class="pd-mine">{} · {}</strong>', name, _("you"))
        return name

    @admin.display(description=gettext_lazy("machine check"))
    def machine_col(self, obj):
        if getattr(obj, "machine_all_match", False):
            return format_html('<span class="pd-machine-all_match">✔ {}</span>', _("all match"))
        if getattr(obj, "machine_mismatch", False):
            return format_html('<strong class="pd-check-mismatch">✘ {}</strong>', _("mismatch"))
        return format_html('<span class="pd-muted">{}</span>', _("not all read"))

    @admin.display(description=gettext_lazy("warnings"))
    def warnings_col(self, obj):
        found = getattr(obj, "review_warnings", [])
        if not found:
            return format_html('<span class="pd-clean">{}</span>', _("none"))
        return format_html(
            '<ul class="pd-warnings">{}</ul>',
            format_html_join("", "<li>{}</li>", ((str(w),) for w in found)),
        )

    @admin.display(description=gettext_lazy("messages"), ordering="-has_unanswered")
    def messages_col(self, obj):
        if not getattr(obj, "has_unanswered", False):
            return ""
        return format_html(
            '<span class="pd-mark pd-unanswered" title="{}">✉ {}</span>',
            _("The enterprise asked something and waits for an answer."),
            _("unanswered"),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "target_hours": target_hours(),
            "is_nav_sidebar_enabled": False,  # the queue needs the width
            "title": _("Review queue"),  # not Django's "Select review queue to change"
        }
        return super().changelist_view(request, extra_context)

    # --- actions ---

    @admin.action(description=gettext_lazy("Claim selected requests"), permissions=["review"])
    def claim_selected(self, request, queryset):
        from ..requests import workflow
        from .mixins import run_for_each

        run_for_each(
            self,
            request,
            queryset,
            lambda obj: workflow.claim(obj, by=request.user),
            _("%(count)d requests claimed."),
        )

    @admin.action(
        description=gettext_lazy("Approve selected requests (without warnings)…"),
        permissions=["review"],
    )
    def bulk_approve(self, request, queryset):
        requests = list(queryset.select_related("enterprise", "pass_type", "assigned_reviewer"))
        plan = review.plan_bulk_approval(requests, request.user)
        if request.POST.get("confirm") == "yes":
            issued, errors = review.run_bulk_approval(plan, request.user)
            approved = len(plan.ready) - len(errors)
            if approved:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d request approved, %(passes)d passes issued.",
                        "%(count)d requests approved, %(passes)d passes issued.",
                        approved,
                    )
                    % {"count": approved, "passes": len(issued)},
                    messages.SUCCESS,
                )
            for req, message in errors:
                self.message_user(request, f"{req.reference}: {message}", messages.ERROR)
            if plan.left_out:
                self.message_user(
                    request,
                    _("Left out (warnings, flagged documents or held by others): %(list)s")
                    % {"list": "、".join(req.reference for req, _r in plan.left_out)},
                    messages.WARNING,
                )
            return None
        return self._confirm_bulk(
            request,
            plan,
            requests,
            action="bulk_approve",
            title=_("Approve %(count)d requests?") % {"count": len(plan.ready)},
        )

    @admin.action(
        description=gettext_lazy("Approve selected renewals that change nothing…"),
        permissions=["review"],
    )
    def approve_clean_renewals(self, request, queryset):
        """A confirmation page first: the renewals that would be approved, and those left out
        (a change, a warning, the machine check, a flag) with the reasons; then approval."""
        from ..requests import renewal

        requests = list(queryset.select_related("enterprise", "pass_type", "assigned_reviewer"))
        if request.POST.get("confirm") == "yes":
            approved, skipped = renewal.approve_clean_renewals(requests, by=request.user)
            if approved:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d renewal approved.",
                        "%(count)d renewals approved.",
                        len(approved),
                    )
                    % {"count": len(approved)},
                    messages.SUCCESS,
                )
            for reference, reason in skipped.items():
                self.message_user(request, f"{reference}: {reason}", messages.WARNING)
            return None
        plan = renewal.plan_clean_renewals(requests, request.user)
        return self._confirm_bulk(
            request,
            plan,
            requests,
            action="approve_clean_renewals",
            title=ngettext(
                "Approve %(count)d renewal?", "Approve %(count)d renewals?", len(plan.ready)
            )
            % {"count": len(plan.ready)},
        )

    def _confirm_bulk(self, request, plan, requests, *, action, title):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "plan": plan,
            "selected": [req.pk for req in requests],
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/passes/reviewqueue/bulk_approve_confirm.html", context
        )

    # --- the review page and its endpoints ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return review_page.review_view(self, request, object_id)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("claim-next/", wrap(review_page.claim_next_view(self)), name="passes_review_next"),
            path("<int:pk>/claim/", wrap(review_page.claim_view(self)), name="passes_review_claim"),
            path(
                "<int:pk>/assign/", wrap(review_page.assign_view(self)), name="passes_review_assign"
            ),
            path(
                "<int:pk>/decide/<str:decision>/",
                wrap(review_page.decide_view(self)),
                name="passes_review_decide",
            ),
            path(
                "<int:pk>/messages/",
                wrap(review_messages.reply_view(self)),
                name="passes_review_message",
            ),
            path(
                "<int:pk>/messages/<int:message_id>/file/",
                wrap(review_messages.message_file_view(self)),
                name="passes_review_message_file",
            ),
            path(
                "document/<int:pk>/mark/",
                wrap(review_page.mark_document_view(self)),
                name="passes_review_mark_document",
            ),
            path(
                "document/<int:pk>/reread/",
                wrap(readings.reread_view(self)),
                name="passes_review_reread_document",
            ),
            path(
                "document/<int:pk>/viewer/",
                wrap(review_page.document_viewer(self)),
                name="passes_review_document_viewer",
            ),
            path(
                "document/<int:pk>/file/",
                wrap(review_page.document_file(self)),
                name="passes_review_document_file",
            ),
            path(
                "document/<int:pk>/page/<int:page>/",
                wrap(review_page.document_page(self)),
                name="passes_review_document_page",
            ),
        ]
        return own + super().get_urls()
