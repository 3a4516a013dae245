"""Journalists and Editors see the embeds their stories use, and may have them fetched again."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "embeds")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="embeds", codename="view_embed")
    for name in ["Journalist", "Editor"]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [("embeds", "0001_embed"), ("articles", "0019_one_line_texts")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
