"""Editors look after the site's standing pages (About us, Contact)."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "pages")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(*Permission.objects.filter(content_type__app_label="pages"))


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial"), ("articles", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
