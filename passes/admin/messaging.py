"""Officers' side of the messaging area: announcements (with how many members they reached and
opened them), reply templates for the review page, and the portal's FAQ.

An announcement is published when it is saved (now, or at its time); after that it can only be
withdrawn, not edited, because what was sent cannot be changed.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import access
from ..documents.errors import UploadRejected
from ..documents.inspection import inspect_upload
from ..messaging import announcements, audience, delivery_report, files
from ..models import (
    Announcement,
    AnnouncementAttachment,
    FaqEntry,
    Membership,
    Notification,
    ReplyTemplate,
)
from ..models.notifications import Channel
from .mixins import PolicyScopedAdmin, PolicyScopedInline

WITHDRAW_NOTE = gettext_lazy(
    "Withdrawing takes the announcement out of the portal and stops messages not sent yet. "
    "E-mails, SMS and webhook calls already delivered cannot be recalled."
)


class AttachmentForm(forms.ModelForm):
    class Meta:
        model = AnnouncementAttachment
        fields = ["file"]

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded is None or not hasattr(uploaded, "content_type"):
            return uploaded  # unchanged
        try:
            inspected = inspect_upload(uploaded)
        except UploadRejected as error:
            raise ValidationError(error.message, code=error.code) from None
        self.instance.original_name = inspected.name
        self.instance.content_type = inspected.content_type
        self.instance.size = inspected.size
        self.instance.sha256 = inspected.sha256
        return uploaded


class AttachmentInline(PolicyScopedInline, admin.TabularInline):
    model = AnnouncementAttachment
    form = AttachmentForm
    extra = 1
    fields = ("file", "original_name", "size")
    readonly_fields = ("original_name", "size")

    def _editable(self, obj):
        return obj is None or obj.delivery_started_at is None and not obj.is_withdrawn

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(obj)


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["title", "body", "audience", "pass_type", "district", "publish_at", "robots"]
        widgets = {"robots": forms.CheckboxSelectMultiple}

    class Media:
        js = ("passes_admin/announcement_reach.js",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        robots = self.fields.get("robots")
        if robots is not None:
            robots.queryset = robots.queryset.filter(is_active=True)
            if self.instance.pk is None:
                robots.initial = list(
                    robots.queryset.filter(post_announcements=True).values_list("pk", flat=True)
                )

    def clean(self):
        cleaned = super().clean()
        candidate = Announcement(
            **{k: cleaned.get(k) for k in ("title", "body", "audience", "district")},
            pass_type=cleaned.get("pass_type"),
        )
        try:
            announcements.validate(candidate)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Announcement)
class AnnouncementAdmin(PolicyScopedAdmin):
    form = AnnouncementForm
    inlines = [AttachmentInline]
    list_display = (
        "title",
        "audience_col",
        "publish_at",
        "state_col",
        "enterprises_reached",
        "members_addressed",
        "reached_col",
        "opened_col",
    )
    list_filter = ("audience",)
    search_fields = ("title", "body")
    date_hierarchy = "publish_at"
    actions = ["withdraw_selected"]
    readonly_fields = ("state_col", "reach_summary", "channels_col", "attachment_links")

    def get_queryset(self, request):
        return announcements.with_reach(super().get_queryset(request).select_related("pass_type"))

    def get_fieldsets(self, request, obj=None):
        main = ("title", "body", "audience", "pass_type", "district", "publish_at", "robots")
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (
                None,
                {
                    "fields": (
                        "state_col",
                        "reach_summary",
                        "channels_col",
                        *main,
                        "attachment_links",
                    )
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ("title", "body", "audience", "pass_type", "district", "publish_at", "robots")
        if obj.delivery_started_at is None and not obj.is_withdrawn:
            fixed = ()  # still scheduled: it may be changed
        return (*self.readonly_fields, *fixed)

    def has_delete_permission(self, request, obj=None):
        return False  # withdraw instead: the audit trail and the reach figures stay

    def save_model(self, request, obj, form, change):
        if change:
            announcements.reschedule(obj, by=request.user)
        else:
            announcements.publish(obj, by=request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The audience's reach, counted as the officer picks it (admin/announcement_reach.js).
        context["reach_url"] = reverse("admin:passes_announcement_reach")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        """One message saying what happens now (not Django's "was added successfully" too)."""
        if obj.publish_at <= timezone.now():
            self.message_user(
                request,
                _("“%(title)s” is published; it is being sent to its audience in the background.")
                % {"title": obj.title},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("“%(title)s” will be published at %(time)s.")
                % {
                    "title": obj.title,
                    "time": timezone.localtime(obj.publish_at).strftime("%Y-%m-%d %H:%M"),
                },
                messages.SUCCESS,
            )
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("admin:passes_announcement_change", args=[obj.pk]))
        if "_addanother" in request.POST:
            return HttpResponseRedirect(reverse("admin:passes_announcement_add"))
        return HttpResponseRedirect(reverse("admin:passes_announcement_changelist"))

    def reach_view(self, request):
        """How many enterprises (and their members) an audience reaches now, by the rule that
        picks them when it is sent (``messaging.audience.enterprises_for``)."""
        if not self.has_add_permission(request) and not self.has_change_permission(request):
            raise PermissionDenied
        candidate = Announcement(
            audience=request.GET.get("audience") or Announcement.Audience.ALL,
            district=(request.GET.get("district") or "").strip(),
        )
        pass_type = request.GET.get("pass_type", "")
        candidate.pass_type_id = int(pass_type) if pass_type.isdigit() else None
        incomplete = (
            candidate.audience == Announcement.Audience.PASS_TYPE and not candidate.pass_type_id
        ) or (
            candidate.audience == Announcement.Audience.DISTRICT
            and not (len(candidate.district) == 6 and candidate.district.isdigit())
        )
        if incomplete or candidate.audience not in Announcement.Audience.values:
            return JsonResponse({"enterprises": None, "text": _("Complete the audience first.")})
        chosen = audience.enterprises_for(candidate)
        count = chosen.count()
        members = Membership.objects.filter(enterprise__in=chosen).count()
        names = list(chosen.order_by("name").values_list("name", flat=True)[:5])
        text = ngettext(
            "Reaches %(count)d enterprise (%(members)d members) now.",
            "Reaches %(count)d enterprises (%(members)d members) now.",
            count,
        ) % {"count": count, "members": members}
        if names:
            text += " " + "、".join(names) + ("…" if count > len(names) else "")
        return JsonResponse({"enterprises": count, "members": members, "text": text})

    @admin.display(description=gettext_lazy("audience"))
    def audience_col(self, obj):
        label = obj.get_audience_display()
        if obj.audience == Announcement.Audience.PASS_TYPE and obj.pass_type:
            return f"{label}: {obj.pass_type}"
        if obj.audience == Announcement.Audience.DISTRICT:
            return f"{label}: {obj.district}"
        return label

    @admin.display(description=gettext_lazy("state"))
    def state_col(self, obj):
        if obj.is_withdrawn:
            return format_html(
                '<strong class="pd-withdrawn">{}</strong><br><span class="help">{}</span>',
                _("Withdrawn %(time)s")
                % {"time": timezone.localtime(obj.withdrawn_at).strftime("%Y-%m-%d %H:%M")},
                _("E-mails, SMS and webhook calls already sent are not recalled."),
            )
        if obj.publish_at > timezone.now():
            return _("Scheduled")
        if obj.delivery_started_at is None:
            return _("Publishing…")
        return _("Published")

    @admin.display(description=gettext_lazy("members reached"), ordering="members_reached")
    def reached_col(self, obj):
        return getattr(obj, "members_reached", 0)

    @admin.display(description=gettext_lazy("opened in the portal"), ordering="opened")
    def opened_col(self, obj):
        return getattr(obj, "opened", 0)

    @admin.display(description=gettext_lazy("reach"))
    def reach_summary(self, obj):
        annotated = announcements.with_reach(Announcement.objects.filter(pk=obj.pk)).first()
        return _(
            "%(enterprises)d enterprises and %(members)d members addressed; %(reached)d members "
            "reached (at least one message sent); %(opened)d opened it in the portal; "
            "%(pending)d messages still waiting to be sent."
        ) % {
            "enterprises": obj.enterprises_reached,
            "members": obj.members_addressed,
            "reached": annotated.members_reached,
            "opened": annotated.opened,
            "pending": announcements.pending_count(obj),
        }

    @admin.display(description=gettext_lazy("by channel"))
    def channels_col(self, obj):
        """Per channel: waiting, accepted by the provider, failed and retrying, given up, and
        the commonest reasons (what the provider answered)."""
        report = delivery_report.channel_report(obj)
        if not report:
            return "—"
        labels = dict(Channel.choices)
        failures = dict(Notification.Failure.choices)
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("channel"),
            _("waiting"),
            _("sent"),
            _("failed, retrying"),
            _("given up"),
            _("why"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    labels.get(entry["channel"], entry["channel"]),
                    entry["waiting"],
                    entry["sent"],
                    entry["failed"],
                    entry["dead"],
                    format_html_join(
                        "",
                        "<div>{} ×{}: {}</div>",
                        (
                            (failures.get(r["failure"], r["failure"]), r["count"], r["error"])
                            for r in entry.get("reasons", ())
                        ),
                    ),
                )
                for entry in report
            ),
        )
        return format_html("<table>{}{}</table>", head, rows)

    @admin.display(description=gettext_lazy("attachments"))
    def attachment_links(self, obj):
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (
                        reverse("admin:passes_announcement_file", args=[obj.pk, a.pk]),
                        a.original_name,
                    )
                    for a in obj.attachments.all()
                ),
            )
            or "—"
        )

    @admin.action(
        description=gettext_lazy("Withdraw selected announcements"), permissions=["change"]
    )
    def withdraw_selected(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/passes/announcement/withdraw_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Withdraw announcements?"),
                    "objects": queryset,
                    "note": WITHDRAW_NOTE,
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        done = stopped = 0
        for announcement in queryset:
            if announcement.is_withdrawn:
                continue
            stopped += announcements.withdraw(announcement, by=request.user)
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d announcement withdrawn; %(stopped)d unsent messages stopped. "
                "Messages already sent are not recalled.",
                "%(count)d announcements withdrawn; %(stopped)d unsent messages stopped. "
                "Messages already sent are not recalled.",
                done,
            )
            % {"count": done, "stopped": stopped},
            messages.SUCCESS,
        )
        return None

    def get_urls(self):
        @access.policy("announcements")
        def reach(request):
            return self.reach_view(request)

        own = [
            path(
                "<int:pk>/files/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="passes_announcement_file",
            ),
            path(
                "reach/",
                self.admin_site.admin_view(reach),
                name="passes_announcement_reach",
            ),
        ]
        return own + super().get_urls()

    def attachment_view(self, request, pk, attachment_id):
        attachment = files.attachment_or_404(request.user, pk, attachment_id)
        return files.file_response(
            attachment.file, attachment.content_type, attachment.original_name, download=False
        )


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(PolicyScopedAdmin):
    list_display = ("title", "body", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "body")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead


@admin.register(FaqEntry)
class FaqEntryAdmin(PolicyScopedAdmin):
    list_display = ("question", "topic", "position", "is_published", "updated_at")
    list_editable = ("position", "is_published")
    list_filter = ("topic", "is_published")
    search_fields = ("question", "answer")

    def has_delete_permission(self, request, obj=None):
        return False  # unpublish instead
