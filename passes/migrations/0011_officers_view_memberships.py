"""Officers verify enterprises, so they need to see who acts for one (the membership inline on
the enterprise page). Reviewers do not."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAME = "view_membership"


def grant(apps, schema_editor):
    passes_config = apps.get_app_config("passes")
    passes_config.models_module = True
    create_permissions(passes_config, apps=apps, verbosity=0)
    passes_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    officers, _ = Group.objects.get_or_create(name="Officers")
    officers.permissions.add(
        *Permission.objects.filter(content_type__app_label="passes", codename=CODENAME)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for officers in Group.objects.filter(name="Officers"):
        officers.permissions.remove(
            *Permission.objects.filter(content_type__app_label="passes", codename=CODENAME)
        )


class Migration(migrations.Migration):
    dependencies = [("passes", "0010_scan_indexes_and_feed_backfill")]

    operations = [migrations.RunPython(grant, revoke)]
