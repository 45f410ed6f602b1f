"""Portal routes, included by ``passes.urls`` (namespace "passes")."""

from django.urls import path

from .views import (
    accounts,
    api_access,
    driver_links,
    fleet,
    home,
    imports,
    letter,
    messaging,
    passbook,
    requests,
    uploads,
    wizard,
)

KINDS = {"vehicle": "vehicles", "driver": "drivers"}

urlpatterns = [
    path("", home.home, name="home"),
    path("signup/", accounts.signup, name="signup"),
    path("enterprise/", accounts.enterprise, name="enterprise"),
    path("enterprise/staff/add/", accounts.staff_add, name="staff-add"),
    path("enterprise/api-token/revoke/", api_access.revoke_token, name="api-token-revoke"),
    path(
        "enterprise/staff/<int:membership_id>/remove/", accounts.staff_remove, name="staff-remove"
    ),
    # Fleet: the same views for vehicles and drivers.
    *[
        route
        for kind, plural in KINDS.items()
        for route in (
            path(f"{plural}/", fleet.fleet_list, {"kind": kind}, name=f"{kind}-list"),
            path(f"{plural}/new/", fleet.fleet_create, {"kind": kind}, name=f"{kind}-create"),
            path(f"{plural}/<int:pk>/", fleet.fleet_detail, {"kind": kind}, name=f"{kind}-detail"),
            path(f"{plural}/<int:pk>/edit/", fleet.fleet_edit, {"kind": kind}, name=f"{kind}-edit"),
            path(
                f"{plural}/<int:pk>/delete/",
                fleet.fleet_delete,
                {"kind": kind},
                name=f"{kind}-delete",
            ),
            path(
                f"{plural}/<int:pk>/documents/<int:document_id>/remove/",
                fleet.document_delete,
                {"kind": kind},
                name=f"{kind}-document-remove",
            ),
        )
    ],
    path("imports/new/", imports.import_new, name="import-new"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/status.json", imports.import_status, name="import-status"),
    path("imports/template/<str:kind>.<str:fmt>", imports.import_template, name="import-template"),
    path("requests/", requests.request_list, name="request-list"),
    path("requests/new/", wizard.new_request, name="request-new"),
    path("requests/<int:pk>/", requests.request_detail, name="request-detail"),
    path("requests/<int:pk>/resume/", wizard.resume, name="request-resume"),
    path(
        "requests/<int:pk>/edit/<str:step>/",
        wizard.step,
        name="request-step",
    ),
    path("requests/<int:pk>/documents/upload/", uploads.upload, name="request-upload"),
    path(
        "requests/<int:pk>/documents/<int:document_id>/remove/",
        uploads.document_remove,
        name="request-document-remove",
    ),
    path("requests/<int:pk>/withdraw/", requests.request_withdraw, name="request-withdraw"),
    path("requests/<int:pk>/messages/", messaging.message_post, name="request-message"),
    path(
        "requests/<int:pk>/messages/<int:message_id>/file/",
        messaging.message_file,
        name="request-message-file",
    ),
    path("announcements/", messaging.announcement_list, name="announcement-list"),
    path("announcements/<int:pk>/", messaging.announcement_detail, name="announcement-detail"),
    path(
        "announcements/<int:pk>/files/<int:attachment_id>/",
        messaging.announcement_file,
        name="announcement-file",
    ),
    path("faq/", messaging.faq, name="faq"),
    path("faq/commitment-letter.pdf", letter.commitment_letter, name="commitment-letter"),
    path("requests/<int:pk>/submitted/", passbook.request_submitted, name="request-submitted"),
    path("my-passes/", passbook.pass_list, name="pass-list"),
    path("my-passes/print/", passbook.pass_print, name="pass-print"),
    path("my-passes/renew/", passbook.pass_renew, name="pass-renew"),
    path(
        "my-passes/<str:number>/drivers/",
        driver_links.driver_links,
        name="pass-driver-links",
    ),
]
