"""Audience staff keep the suppression list and see what the provider reported (addresses included)."""

from django.db import migrations

from newsroom.permissions import make_permissions

AUDIENCE = ["add_suppression", "change_suppression", "view_suppression", "view_deliveryevent"]


def grant(apps, schema_editor):
    make_permissions(apps, "newsletter")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Audience")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="newsletter", codename__in=AUDIENCE))


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0006_deliverability")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
