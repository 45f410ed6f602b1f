"""Routes under ``/api/v1/`` (namespace ``api``). Other areas add their endpoints here too."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from passes.signing.views import public_keys
from passes.trust import views as trust_views

from .views_auth import ObtainTokenView
from .views_fleet import DriverViewSet, VehicleViewSet
from .views_requests import RequestViewSet
from .views_review import ReviewViewSet

app_name = "api"

router = SimpleRouter()
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("drivers", DriverViewSet, basename="driver")
router.register("requests", RequestViewSet, basename="request")
router.register("review", ReviewViewSet, basename="review")

urlpatterns = [
    # POST scans/ and GET revocations/ (checkpoint area). First: scans/ is the busiest route,
    # and every pattern tried before it costs each scan a regex match.
    path("", include("passes.checkpoint.api_urls")),
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    *router.urls,
    # GET keys/: public keys that verify pass tokens (issuing area)
    path("keys/", public_keys, name="keys"),
    # GET trust/: the signed trust list; trust/keys/: own and peer keys for offline checks
    path("trust/", trust_views.trust_list, name="trust-list"),
    path("trust/keys/", trust_views.verification_keys, name="trust-keys"),
]
