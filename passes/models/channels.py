"""The channels that reach people where they already are: the approved templates of the SMS
providers and of the WeChat Official Account, people's (and drivers') WeChat bindings, and the
group robots (WeCom, DingTalk, Feishu) that announcements are posted to."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enterprises import Driver
from .offices import Office


class MessageTemplate(models.Model):
    """One approved template at one provider, for one kind of message (``notifications.kinds``).

    The provider gives the code when it approves the wording; passdesk fills in the kind's
    parameters. ``field_map`` names the provider's variables when they differ from the kind's
    parameter names (WeChat: ``{"thing1": "reference", "time2": "until"}``)."""

    class Provider(models.TextChoices):
        ALIBABA = "alibaba", _("Alibaba Cloud SMS")
        TENCENT = "tencent", _("Tencent Cloud SMS")
        WECHAT = "wechat", _("WeChat Official Account")

    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    kind = models.CharField(_("kind of message"), max_length=40)
    template_code = models.CharField(
        _("template code"),
        max_length=100,
        help_text=_(
            "As the provider's console shows it once the wording is approved: SMS_123456789 "
            "(Alibaba Cloud), a number (Tencent Cloud), the template ID (WeChat)."
        ),
    )
    field_map = models.JSONField(
        _("provider's variable names"),
        default=dict,
        blank=True,
        help_text=_(
            "Only when the provider's variables are named differently from the parameters "
            'below: {"provider name": "parameter"}. WeChat templates need it, e.g. '
            '{"thing1": "reference", "character_string2": "number"}.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["provider", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind"], name="one_template_per_kind")
        ]

    def __str__(self):
        return f"{self.get_provider_display()} · {self.kind} · {self.template_code}"


class ChatRobot(models.Model):
    """A group chat's robot: posts go to its webhook URL, signed with ``secret`` (DingTalk's
    and Feishu's signature check; WeCom's key is part of the URL)."""

    class Platform(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        FEISHU = "feishu", _("Feishu (飞书)")

    name = models.CharField(_("group name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk (SEC…) and Feishu: the robot's signing secret. WeCom has none."),
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_robots",
        verbose_name=_("office"),
    )
    post_announcements = models.BooleanField(
        _("announcements"),
        default=True,
        help_text=_("Chosen by default for new announcements."),
    )
    post_passes_issued = models.BooleanField(
        _("passes issued"),
        default=False,
        help_text=_(
            "A notice for every approved request (enterprise, reference, plates). Only for the "
            "office's own staff group: enterprises must not see each other's passes."
        ),
    )
    post_daily_figures = models.BooleanField(_("daily figures"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["platform", "name"]

    def __str__(self):
        return f"{self.get_platform_display()}: {self.name}"


class WechatBinding(models.Model):
    """A person's (or a driver's) WeChat, as the Official Account knows them (``openid``),
    bound through the account's web authorisation. ``kinds`` are the messages they chose."""

    app_id = models.CharField(_("Official Account AppID"), max_length=40)
    openid = models.CharField(_("openid"), max_length=64)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wechat_binding",
        verbose_name=_("user"),
    )
    driver = models.OneToOneField(
        Driver,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wechat_binding",
        verbose_name=_("driver"),
    )
    kinds = models.JSONField(_("messages chosen"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Cleared when WeChat answers that the person unfollowed the account."),
    )
    bound_at = models.DateTimeField(_("bound at"), auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat binding")
        verbose_name_plural = _("WeChat bindings")
        ordering = ["-bound_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, driver__isnull=True)
                | Q(user__isnull=True, driver__isnull=False),
                name="wechat_binding_one_holder",
            )
        ]

    def __str__(self):
        return f"{self.user or self.driver} · {self.openid[:8]}…"
