"""Routes under ``/api/v1/`` (namespace ``api``). Other areas add their endpoints here too."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from passes.signing.views import public_keys

from .views_announcements import AnnouncementViewSet
from .views_auth import ObtainTokenView
from .views_catalog import CheckpointViewSet, PassTypeViewSet
from .views_fleet import ID_PATTERN, DriverViewSet, VehicleViewSet
from .views_issued import PassViewSet
from .views_messages import MessageFileView, RequestMessagesView, ReviewMessagesView
from .views_requests import RequestViewSet
from .views_review import ReviewViewSet
from .views_trust import TrustListView, VerificationKeysView

app_name = "api"

router = SimpleRouter()
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("drivers", DriverViewSet, basename="driver")
router.register("requests", RequestViewSet, basename="request")
router.register("review", ReviewViewSet, basename="review")
router.register("passes", PassViewSet, basename="pass")
router.register("pass-types", PassTypeViewSet, basename="pass-type")
router.register("checkpoints", CheckpointViewSet, basename="checkpoint")
router.register("announcements", AnnouncementViewSet, basename="announcement")

urlpatterns = [
    # POST scans/ and GET revocations/ (checkpoint area). First: scans/ is the busiest route,
    # and every pattern tried before it costs each scan a regex match.
    path("", include("passes.checkpoint.api_urls")),
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    re_path(
        rf"^requests/(?P<pk>{ID_PATTERN})/messages/$",
        RequestMessagesView.as_view(),
        name="request-messages",
    ),
    re_path(
        rf"^requests/(?P<pk>{ID_PATTERN})/messages/(?P<message_id>{ID_PATTERN})/file/$",
        MessageFileView.as_view(),
        name="request-message-file",
    ),
    re_path(
        rf"^review/(?P<pk>{ID_PATTERN})/messages/$",
        ReviewMessagesView.as_view(),
        name="review-messages",
    ),
    *router.urls,
    # GET keys/: public keys that verify pass tokens (issuing area)
    path("keys/", public_keys, name="keys"),
    # GET trust/: the signed trust list; trust/keys/: own and peer keys for offline checks
    path("trust/", TrustListView.as_view(), name="trust-list"),
    path("trust/keys/", VerificationKeysView.as_view(), name="trust-keys"),
]
