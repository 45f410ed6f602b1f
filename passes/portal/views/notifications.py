"""Portal pages: how I am notified (everyone), and my enterprise's webhooks (members see them,
owners manage them). Thin views over ``passes.notifications.webhooks``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ... import access, roles
from ...models import NotificationPreference, WebhookEndpoint
from ...notifications import kinds, webhooks, wechat
from ...notifications.channels import DeliveryFailure
from ...notifications.recipients import preference_of, site_url
from ..access import member_required, owned

SECRET_SESSION_KEY = "passdesk_new_webhook_secret"


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["language", "email_enabled", "sms_enabled", "sms_phone", "review_mode"]
        labels = {
            "language": gettext_lazy("Language of messages"),
            "email_enabled": gettext_lazy("Send me e-mail"),
            "sms_enabled": gettext_lazy("Send me SMS"),
            "review_mode": gettext_lazy("New requests to review"),
        }
        help_texts = {
            "sms_phone": gettext_lazy("11-digit mainland mobile number, e.g. 13912345678."),
        }

    def __init__(self, *args, reviewer=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not reviewer:
            del self.fields["review_mode"]

    def clean(self):
        data = super().clean()
        if data.get("sms_enabled") and not data.get("sms_phone"):
            self.add_error("sms_phone", _("Give the mobile number the SMS should go to."))
        return data


class WechatKindsForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Send me on WeChat"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, kinds.KINDS[name].label) for name in kinds.MEMBER_KINDS],
    )


@access.policy("preferences")
@login_required
def notification_settings(request):
    preference = preference_of(request.user)
    reviewer = roles.can_review(request.user)
    binding = wechat.binding_of(request.user)
    wechat_post = request.method == "POST" and "wechat_kinds" in request.POST
    form = PreferenceForm(
        request.POST if request.method == "POST" and not wechat_post else None,
        instance=preference,
        reviewer=reviewer,
    )
    wechat_form = WechatKindsForm(
        request.POST if wechat_post else None,
        initial={"kinds": binding.kinds if binding else []},
    )
    if wechat_post and binding is not None and wechat_form.is_valid():
        binding.kinds = wechat_form.cleaned_data["kinds"]
        binding.save(update_fields=["kinds"])
        messages.success(request, _("Your WeChat messages are saved."))
        return redirect("passes:notification-settings")
    if request.method == "POST" and not wechat_post and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("passes:notification-settings")
    return render(
        request,
        "passes/notifications/settings.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
            "enterprise": roles.enterprise_of(request.user),
            "wechat_enabled": wechat.enabled(),
            "wechat_binding": binding,
            "wechat_form": wechat_form,
        },
    )


@access.policy(access.SELF)
@login_required
def wechat_bind(request):
    """Start binding the signed-in person's WeChat: on to the Official Account's web
    authorisation (to be opened inside WeChat), which comes back to ``wechat_callback``."""
    if not wechat.enabled():
        messages.error(request, _("WeChat messages are not set up for this office."))
        return redirect("passes:notification-settings")
    url = wechat.start_binding(
        request.session,
        redirect_uri=site_url(reverse("passes:wechat-callback")),
        user=request.user,
    )
    return HttpResponseRedirect(url)


@access.public(
    "WeChat's return from the web authorisation: binds only whom this browser's own "
    "session started the binding for"
)
def wechat_callback(request):
    pending = request.session.get(wechat.SESSION_KEY) or {}
    try:
        binding = wechat.finish_binding(
            request.session,
            code=request.GET.get("code", ""),
            state=request.GET.get("state", ""),
        )
    except wechat.WechatError:
        messages.error(request, _("Your WeChat could not be bound. Please start again."))
        return redirect(pending.get("next") or "passes:notification-settings")
    except DeliveryFailure:
        messages.error(request, _("WeChat could not be reached. Please try again later."))
        return redirect(pending.get("next") or "passes:notification-settings")
    messages.success(
        request, _("Your WeChat is bound: messages will come from the office's Official Account.")
    )
    if binding.driver_id:
        return redirect(pending.get("next") or "/")
    return redirect("passes:notification-settings")


@access.policy(access.SELF)
@require_POST
@login_required
def wechat_unbind(request):
    if wechat.unbind(request.user):
        messages.success(request, _("Your WeChat is no longer bound; no more WeChat messages."))
    return redirect("passes:notification-settings")


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy(
            "An HTTPS address on the public internet, e.g. https://tms.example.com/passdesk."
        ),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)


@access.policy("webhooks")
@member_required
def webhook_docs(request):
    """How deliveries look and how to verify their signature (docs/webhooks.md, for the
    people who read it in the portal)."""
    return render(request, "passes/notifications/webhook_docs.html")


@access.policy("webhooks")
@member_required
def webhook_list(request):
    is_owner = roles.is_owner(request.user, request.enterprise)
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            messages.error(request, _("Only the owners of the enterprise can add webhooks."))
            return redirect("passes:webhook-list")
        if form.is_valid():
            try:
                endpoint = webhooks.create_endpoint(
                    request.enterprise,
                    url=form.cleaned_data["url"],
                    description=form.cleaned_data["description"],
                    by=request.user,
                )
            except webhooks.WebhookError as error:
                form.add_error("url", error.message)
            else:
                request.session[SECRET_SESSION_KEY] = {str(endpoint.pk): endpoint.secret}
                messages.success(request, _("The webhook endpoint is registered."))
                return redirect("passes:webhook-detail", pk=endpoint.pk)
    return render(
        request,
        "passes/notifications/webhooks.html",
        {
            "endpoints": webhooks.endpoints_for(request.enterprise),
            "form": form,
            "is_owner": is_owner,
        },
    )


@access.policy("webhooks")
@member_required
def webhook_detail(request, pk):
    endpoint = owned(request, WebhookEndpoint, pk=pk)
    shown = request.session.pop(SECRET_SESSION_KEY, {})
    return render(
        request,
        "passes/notifications/webhook_detail.html",
        {
            "endpoint": endpoint,
            "new_secret": shown.get(str(endpoint.pk)),
            "deliveries": webhooks.recent_deliveries(endpoint),
            "is_owner": roles.is_owner(request.user, request.enterprise),
        },
    )


@access.policy("webhooks")
@require_POST
@member_required
def webhook_action(request, pk, action):
    endpoint = owned(request, WebhookEndpoint, pk=pk)
    try:
        if action == "rotate":
            webhooks.rotate_secret(endpoint, by=request.user)
            request.session[SECRET_SESSION_KEY] = {str(endpoint.pk): endpoint.secret}
            messages.success(request, _("A new secret is in force; the old one no longer works."))
        elif action in ("enable", "disable"):
            webhooks.set_active(endpoint, active=action == "enable", by=request.user)
            messages.success(request, _("The webhook endpoint is updated."))
        elif action == "delete":
            webhooks.delete_endpoint(endpoint, by=request.user)
            messages.success(request, _("The webhook endpoint is removed."))
            return redirect("passes:webhook-list")
        else:
            messages.error(request, _("Unknown action."))
    except webhooks.WebhookError as error:
        messages.error(request, error.message)
    return redirect("passes:webhook-detail", pk=endpoint.pk)
