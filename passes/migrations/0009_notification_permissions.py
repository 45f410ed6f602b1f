"""Officers see the notification outbox and webhook deliveries and may retry dead notifications
(change_notification backs the admin's retry action). Reviewers get nothing here."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICER_PERMISSIONS = [
    "view_notification",
    "change_notification",
    "view_webhookendpoint",
    "view_webhookdelivery",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    officers, _ = Group.objects.get_or_create(name="Officers")
    officers.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="passes", codename__in=OFFICER_PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for officers in Group.objects.filter(name="Officers"):
        officers.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="passes", codename__in=OFFICER_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ('passes', '0008_review_indexes'),
    ]

    operations = [migrations.RunPython(grant, revoke)]
