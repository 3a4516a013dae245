"""Journalists may delete their own unpublished articles (the admin checks whose and which)."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "articles")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    journalist, _ = Group.objects.get_or_create(name="Journalist")
    journalist.permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename="delete_article")
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_article_created_by")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
