"""How a route declares the policy that answers it.

* A function view: ``@access.policy("requests")`` (its objects are looked up through that
  selector), ``@access.public("why anyone may call it")``, or ``@access.policy(access.SELF)``
  (only the signed-in person's own account, settings or tokens).
* A class view (Django or DRF): ``access_policy = "passes"`` on the class (the decorators work
  on classes too).
* An admin page of a model: its ``ModelAdmin`` is a ``PolicyScopedAdmin`` (the model's policy
  from ``selectors.POLICY_OF_MODEL``); a custom admin view carries the decorator; the admin
  site's own views and third-party model admins are listed below.

``policy_of(callback)`` reads the declaration of a resolved URL's callback;
``tests/test_access_routes.py`` fails on any route that has none.
"""

PUBLIC = "public"
SELF = "self"
MODEL_ADMIN = "model-admin"  # the admin site's autocomplete: the asked model admin's queryset
SUPERUSERS = "superusers"  # third-party admins: no staff group holds a permission on them

# The admin site's own views, by name: none shows a row of any model.
ADMIN_SITE_VIEWS = {
    "index": (SELF, "the models the signed-in staff member may open; no rows"),
    "app_index": (SELF, "the same, for one app"),
    "login": (PUBLIC, "the sign-in form"),
    "logout": (SELF, "signs the person out"),
    "password_change": (SELF, "the person's own password"),
    "password_change_done": (SELF, "the person's own password"),
    "i18n_javascript": (PUBLIC, "translations of the admin's scripts"),
    "autocomplete_view": (MODEL_ADMIN, "rows through the asked model admin's get_queryset"),
    "shortcut": (PUBLIC, "view on site: no passdesk model has a public URL, so always 404"),
    "catch_all_view": (PUBLIC, "a redirect to the slash-ended URL, or 404"),
}

# Model admins of other packages, by model label.
THIRD_PARTY_ADMINS = {
    "auth.user": SUPERUSERS,
    "auth.group": SUPERUSERS,
    "authtoken.tokenproxy": SUPERUSERS,
    "axes.accessattempt": SUPERUSERS,
    "axes.accesslog": SUPERUSERS,
    "axes.accessfailurelog": SUPERUSERS,
}

# Views of other packages, and of passdesk's layers below this one, by dotted path.
THIRD_PARTY_VIEWS = {
    "passes.health.views.healthz": (PUBLIC, "liveness: no data"),
    "passes.health.views.readyz": (PUBLIC, "readiness: which services answer, no data"),
    "django.views.i18n.set_language": (PUBLIC, "switches the interface language"),
    "drf_spectacular.views.SpectacularAPIView": (PUBLIC, "the API's schema (no data)"),
    "drf_spectacular.views.SpectacularSwaggerSplitView": (PUBLIC, "the API's documentation"),
    "django.contrib.auth.views.LogoutView": (SELF, "signs the person out"),
}


def _mark(target, name, reason=""):
    target.access_policy = name
    target.access_reason = reason
    return target


def policy(name: str):
    """Declare the policy (a name of ``selectors.POLICIES``, or ``SELF``) that scopes a view."""
    from .selectors import POLICIES

    if name not in POLICIES and name not in (SELF, MODEL_ADMIN):
        raise ValueError(f"unknown access policy {name!r}")
    return lambda target: _mark(target, name)


def public(reason: str):
    """Declare a view anyone may call (the verify page, health checks, sign-in...)."""
    if not reason:
        raise ValueError("say why the route is public")
    return lambda target: _mark(target, PUBLIC, reason)


def _unwrapped(callback):
    seen = 0
    while callback is not None and seen < 20:
        yield callback
        callback = getattr(callback, "__wrapped__", None)
        seen += 1


def _dotted(obj) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def policy_of(callback) -> tuple[str, str] | None:
    """``(policy, reason)`` declared for a URL's callback, or None when it declares none."""
    from django.contrib.admin import AdminSite, ModelAdmin

    for func in _unwrapped(callback):
        declared = getattr(func, "__dict__", {}).get("access_policy")
        if declared:
            return declared, func.__dict__.get("access_reason", "")
        model_admin = getattr(func, "model_admin", None)
        owner = getattr(func, "__self__", None)
        if model_admin is None and isinstance(owner, ModelAdmin):
            model_admin = owner
        if model_admin is not None:
            name = getattr(model_admin, "access_policy", None)
            if name:
                return name, "PolicyScopedAdmin"
            label = model_admin.model._meta.label_lower
            return (THIRD_PARTY_ADMINS[label], label) if label in THIRD_PARTY_ADMINS else None
        view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
        if view_class is not None:
            if getattr(view_class, "access_policy", None):
                return view_class.access_policy, getattr(view_class, "access_reason", "")
            for klass in view_class.__mro__:
                if _dotted(klass) in THIRD_PARTY_VIEWS:
                    return THIRD_PARTY_VIEWS[_dotted(klass)]
            return None
        if getattr(func, "admin_site", None) is not None or isinstance(owner, AdminSite):
            return ADMIN_SITE_VIEWS.get(func.__name__)
        if _dotted(func) in THIRD_PARTY_VIEWS:
            return THIRD_PARTY_VIEWS[_dotted(func)]
    return None
