"""Staff groups with least-privilege permissions, and the two pass types every office starts with."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    "review_passrequest",
    "view_passrequest",
    "view_requestitem",
    "view_document",
    "view_enterprise",
    "view_vehicle",
    "view_driver",
    "view_pass",
    "view_passtype",
    "view_checkpoint",
    "view_auditevent",
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
]
INSPECTOR_PERMISSIONS = ["scan_pass"]

GROUPS = {
    "Reviewers": REVIEWER_PERMISSIONS,
    "Officers": OFFICER_PERMISSIONS,
    "Inspectors": INSPECTOR_PERMISSIONS,
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="passes", codename__in=codenames)
        )


def seed_pass_types(apps, schema_editor):
    PassType = apps.get_model("passes", "PassType")
    PassType.objects.get_or_create(
        code="emergency-logistics",
        defaults={
            "name": "重点物资运输车辆通行证",
            "description": "疫情防控期间保障重点物资运输的应急通行证（一车一证一线路）。",
            "max_validity_days": 14,
            "required_document_kinds": [
                "business_licence",
                "vehicle_licence",
                "driving_licence",
                "nucleic_acid_test",
                "commitment_letter",
            ],
            "health_proof_max_age_hours": 48,
        },
    )
    PassType.objects.get_or_create(
        code="urban-truck-access",
        defaults={
            "name": "城区货车通行证",
            "description": "货车进入城区限行区域的日常通行证。",
            "max_validity_days": 90,
            "required_document_kinds": ["business_licence", "vehicle_licence", "driving_licence"],
            "health_proof_max_age_hours": None,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(seed_pass_types, migrations.RunPython.noop),
    ]
