"""Input and output of ``/api/v1/passes/<number>/driver-links/``: the drivers' e-pass links of
a pass, for the enterprise (``views_issued.PassViewSet``). A link in clear is answered once, by
the hand-over (it is not stored); the list says only each link's state and dates."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .inputs import MAX_DRIVERS_PER_ITEM, IdField

LINK_STATES = ["active", "withdrawn", "expired", "none"]


class DriverIdsIn(serializers.Serializer):
    drivers = serializers.ListField(
        child=IdField(),
        required=False,
        min_length=1,
        max_length=MAX_DRIVERS_PER_ITEM,
        help_text=_("Driver ids named on the pass; all of them when left out."),
    )


class DriverIdIn(serializers.Serializer):
    driver = IdField(help_text=_("A driver id named on the pass."))


class DriverLinkOut(serializers.Serializer):
    driver = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    link_state = serializers.ChoiceField(
        choices=LINK_STATES,
        help_text=_("The link's state; none: no link was made (yet)."),
    )
    made_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    last_sent_at = serializers.DateTimeField(allow_null=True)
    send_count = serializers.IntegerField()
    last_opened_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)


class DriverLinksOut(serializers.Serializer):
    links = DriverLinkOut(many=True)


class HandoverOut(serializers.Serializer):
    driver = serializers.IntegerField()
    link = serializers.URLField(help_text=_("The new link: show it as a QR code; not stored."))
    expires_at = serializers.DateTimeField()


def rows(pairs, now) -> list[dict]:
    """``DriverLinkOut`` data from ``epass.links.links_of``."""
    return [
        {
            "driver": driver.pk,
            "name": driver.name,
            "phone": driver.phone,
            "link_state": link.state(now) if link else "none",
            "made_at": link.created_at if link else None,
            "expires_at": link.expires_at if link else None,
            "last_sent_at": link.last_sent_at if link else None,
            "send_count": link.send_count if link else 0,
            "last_opened_at": link.last_opened_at if link else None,
            "withdrawn_at": link.withdrawn_at if link else None,
        }
        for driver, link in pairs
    ]
