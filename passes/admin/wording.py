"""Strings Django's admin templates ask for that Django's own Simplified Chinese catalog lacks
(the hidden captions of the model lists read aloud by screen readers). Listed here so they
enter passdesk's catalog, which is searched before Django's."""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_STRINGS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
)
