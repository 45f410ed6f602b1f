"""Sign-up and the enterprise page with its staff list."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ... import access, roles
from ...enterprises import accounts
from ...models import Document, DocumentKind, Membership
from ..access import member_required
from ..forms.accounts import SignUpForm, StaffForm
from ..ratelimit import limit_posts
from .api_access import token_status

# Model field names that the sign-up form calls differently.
_SIGNUP_FIELD = {"name": "enterprise_name", "username": "login", "password": "password1"}


def _add_service_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            field = _SIGNUP_FIELD.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@access.public("the sign-up form: it makes a new enterprise, shows none")
@limit_posts("signup", per="ip")
def signup(request):
    if request.user.is_authenticated:
        return redirect("passes:home")
    form = SignUpForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.sign_up(form.to_signup(), licence_file=form.cleaned_data["licence"])
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                # What happens next is the page's own banner (waiting for verification):
                # said once, not twice.
                _("Welcome! Your enterprise is registered."),
            )
            return redirect("passes:home")
    return render(request, "passes/portal/signup.html", {"form": form})


@access.policy("enterprises")
@member_required
def enterprise(request):
    enterprise = request.enterprise
    is_owner = roles.is_owner(request.user, enterprise)
    standing = Document.objects.filter(
        enterprise=enterprise,
        request__isnull=True,
        vehicle__isnull=True,
        driver__isnull=True,
        kind=DocumentKind.BUSINESS_LICENCE,
    )
    form = StaffForm() if is_owner else None
    return render(
        request,
        "passes/portal/enterprise.html",
        {
            "enterprise": enterprise,
            "members": accounts.members(enterprise),
            "is_owner": is_owner,
            "staff_form": form,
            "standing_documents": standing,
            "api_token": token_status(request.user),
        },
    )


@access.policy("enterprises")
@member_required
def staff_add(request):
    enterprise = request.enterprise
    if not roles.is_owner(request.user, enterprise):
        raise Http404("owners only")
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.add_staff(
                enterprise,
                by=request.user,
                login=form.cleaned_data["login"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        except accounts.AccountError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(login)s can now sign in and act for %(enterprise)s.")
                % {"login": form.cleaned_data["login"], "enterprise": enterprise},
            )
            return redirect("passes:enterprise")
    return render(request, "passes/portal/staff_form.html", {"form": form})


@access.policy("enterprises")
@require_POST
@member_required
def staff_remove(request, membership_id):
    enterprise = request.enterprise
    if not roles.is_owner(request.user, enterprise):
        raise Http404("owners only")
    try:
        user = accounts.remove_staff(enterprise, by=request.user, membership_id=membership_id)
    except Membership.DoesNotExist:
        raise Http404("no such member") from None
    except accounts.AccountError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(user)s was removed and can no longer sign in.") % {"user": user}
        )
    return redirect("passes:enterprise")


class SignInView(LoginView):
    """Django's login, landing each role where its work is: an inspector (who acts for no
    enterprise and reviews nothing) goes to the checkpoint page, a reviewer to the review
    queue, an officer to the office's dashboard, not the enterprise home."""

    access_policy = access.PUBLIC
    access_reason = "the sign-in form"

    def get_default_redirect_url(self):
        user = self.request.user
        if (
            roles.can_scan(user)
            and roles.enterprise_of(user) is None
            and not roles.can_review(user)
        ):
            return reverse("passes:checkpoint")
        if roles.enterprise_of(user) is None and roles.can_review(user):
            # Reviewers to their queue, officers (who also reassign) to the office's dashboard.
            if roles.can_assign(user) and user.has_perm("passes.view_dashboard"):
                return reverse("passes_admin_dashboard")
            return reverse("admin:passes_reviewqueue_changelist")
        return super().get_default_redirect_url()
