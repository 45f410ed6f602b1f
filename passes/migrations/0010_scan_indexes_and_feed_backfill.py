"""Scan indexes trimmed to what is queried (inserts are the hot path); officers may look at
scans in the admin; passes revoked or expired before Pass.status_changed_at existed get it, so
the revocation feed lists them too."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def officers_view_scans(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    officers, _ = Group.objects.get_or_create(name="Officers")
    officers.permissions.add(
        *Permission.objects.filter(content_type__app_label="passes", codename="view_scanevent")
    )


def backfill_status_changed_at(apps, schema_editor):
    Pass = apps.get_model("passes", "Pass")
    unset = Pass.objects.filter(status_changed_at__isnull=True)
    unset.filter(status="revoked", revoked_at__isnull=False).update(
        status_changed_at=F("revoked_at")
    )
    unset.filter(status="revoked").update(status_changed_at=timezone.now())
    unset.filter(status="expired").update(status_changed_at=F("valid_until"))


class Migration(migrations.Migration):

    dependencies = [
        ('passes', '0009_notification_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='scanevent',
            name='inspector',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='scans', to=settings.AUTH_USER_MODEL, verbose_name='inspector'),
        ),
        migrations.AlterField(
            model_name='scanevent',
            name='is_late',
            field=models.BooleanField(default=False, verbose_name='uploaded late'),
        ),
        migrations.AlterField(
            model_name='scanevent',
            name='number',
            field=models.CharField(blank=True, max_length=32, verbose_name='pass number'),
        ),
        migrations.RunPython(officers_view_scans, migrations.RunPython.noop),
        migrations.RunPython(backfill_status_changed_at, migrations.RunPython.noop),
    ]
