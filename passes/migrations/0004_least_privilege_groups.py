"""Least-privilege staff groups for the review admin (refines 0002, which stays as it was).

Reviewers work requests: they see requests, documents, enterprises and fleet, claim and decide
through the custom ``review_passrequest`` permission, and delete nothing. Officers also keep pass
types, checkpoints, enterprises (verify, suspend, key flag), revocation, reviewer assignment,
return-reason templates, the dashboard and the exports. Inspectors get no admin permission at all:
their checkpoint page needs only ``scan_pass``.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    "review_passrequest",
    "view_passrequest",
    "view_reviewqueue",
    "view_requestitem",
    "view_document",
    "view_enterprise",
    "view_vehicle",
    "view_driver",
    "view_pass",
    "view_passtype",
    "view_checkpoint",
    "view_auditevent",
    "view_returnreasontemplate",
]
OFFICER_PERMISSIONS = REVIEWER_PERMISSIONS + [
    "assign_passrequest",
    "revoke_pass",
    "verify_enterprise",
    "change_enterprise",
    "add_passtype",
    "change_passtype",
    "add_checkpoint",
    "change_checkpoint",
    "add_returnreasontemplate",
    "change_returnreasontemplate",
    "view_documentview",
    "view_documentreview",
    "view_dashboard",
    "export_data",
]
# Model permissions the admin reads; inspectors must hold none of them in this app.
ADMIN_PREFIXES = ("add_", "change_", "delete_", "view_")
MANAGED = {"Reviewers": REVIEWER_PERMISSIONS, "Officers": OFFICER_PERMISSIONS}


def refine_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_perms = Permission.objects.filter(content_type__app_label="passes")
    for name, codenames in MANAGED.items():
        group, _ = Group.objects.get_or_create(name=name)
        # Drop every CRUD permission of this app the list does not name (least privilege);
        # custom permissions other areas grant (e.g. scan_pass) are left alone.
        extra = group.permissions.filter(content_type__app_label="passes").exclude(
            codename__in=codenames
        )
        group.permissions.remove(
            *[perm for perm in extra if perm.codename.startswith(ADMIN_PREFIXES)]
        )
        group.permissions.add(*app_perms.filter(codename__in=codenames))
    inspectors, _ = Group.objects.get_or_create(name="Inspectors")
    inspectors.permissions.remove(
        *[
            perm
            for perm in inspectors.permissions.filter(content_type__app_label="passes")
            if perm.codename.startswith(ADMIN_PREFIXES)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0003_review_models"),
    ]

    operations = [
        migrations.RunPython(refine_groups, migrations.RunPython.noop),
    ]
