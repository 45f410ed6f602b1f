"""django-csp's middleware, with the settings' policy built once per process.

django-csp builds the Content-Security-Policy header again for every response, a noticeable
share of a checkpoint scan's CPU, for what is a function of the settings alone unless a view asks
for a policy of its own (django-csp's ``csp_*`` decorators) or a page has used the nonce.
Those responses, and DEBUG's exempted error pages, go through django-csp unchanged; every
other response gets the headers django-csp's own ``build_policy`` made from the settings,
kept until a setting changes (tests override them).
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view sets on its response to have a policy of its own (or none): django-csp's decorators.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_EXEMPT = (404, 500)  # django-csp leaves these alone under DEBUG


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _OWN_POLICY)
            or (settings.DEBUG and response.status_code in _DEBUG_EXEMPT)
        ):
            return super().process_response(request, response)
        for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
            policy, excluded = _settings_policy(report_only)
            if policy and header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp does: a template reading the nonce after this point is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@cache
def _settings_policy(report_only: bool) -> tuple[str, tuple[str, ...]]:
    """The header built from the settings, and the path prefixes it leaves out."""
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    configured = getattr(settings, name, None) or {}
    excluded = tuple(configured.get("EXCLUDE_URL_PREFIXES", None) or ())
    return build_policy(report_only=report_only), excluded


@receiver(setting_changed)
def _forget_policy(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policy.cache_clear()
