"""passdesk's own routes. Each area (portal, API, files, checkpoint) adds its include here."""

from django.urls import path

from . import views

app_name = "passes"

urlpatterns = [
    path("", views.home, name="home"),
]
