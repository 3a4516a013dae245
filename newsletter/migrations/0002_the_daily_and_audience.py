"""The default newsletter, and the Audience role: subscriber lists and nothing else."""

from django.db import migrations

from newsroom.permissions import make_permissions

AUDIENCE = {
    "newsletter": [
        "view_newsletter",
        "view_subscriber",
        "delete_subscriber",
        "view_subscription",
        "change_subscription",
        "delete_subscription",
        "export_subscribers",
        "import_subscribers",
        "view_subscriberexport",
    ],
}


def create_the_daily(apps, schema_editor):
    Newsletter = apps.get_model("newsletter", "Newsletter")
    Newsletter.objects.get_or_create(
        slug="the-daily",
        defaults={
            "name": "The Daily",
            "description": "The day’s local news, every morning.",
            "is_default": not Newsletter.objects.filter(is_default=True).exists(),
        },
    )


def create_audience(apps, schema_editor):
    make_permissions(apps, "auth", "contenttypes", "newsletter")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    audience, _ = Group.objects.get_or_create(name="Audience")
    for app_label, codenames in AUDIENCE.items():
        audience.permissions.set(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def remove_audience(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Audience").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_the_daily, migrations.RunPython.noop),
        migrations.RunPython(create_audience, remove_audience),
    ]
