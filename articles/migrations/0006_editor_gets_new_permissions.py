"""Editors may do everything on the editorial models, including the ones added since the roles were made."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "articles")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="articles", content_type__model__in=["correction", "oldslug"]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_embargo_and_corrections")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
