from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassesConfig(AppConfig):
    name = "passes"
    verbose_name = _("Logistics passes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .api import credentials  # noqa: F401 - revokes API tokens on password change
        from .web import login_limits  # noqa: F401 - connects the failed-sign-in counter
