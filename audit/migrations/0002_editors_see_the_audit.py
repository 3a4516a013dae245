"""Editors may read the audit record (and export it); Journalists and Audience staff may not."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "audit")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(*Permission.objects.filter(content_type__app_label="audit", codename="view_auditevent"))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("articles", "0018_image_built_widths"),
        ("newsletter", "0008_blocked_bounces"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
