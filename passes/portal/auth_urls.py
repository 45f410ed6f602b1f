"""Login and logout, under the names Django's auth settings expect (``login``, ``logout``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .forms.accounts import LoginForm
from .views.accounts import SignInView

urlpatterns = [
    path(
        "login/",
        SignInView.as_view(
            template_name="passes/portal/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
