"""Journalists post and correct updates on their own stories' live blogs; Editors open, close and correct any."""

from django.db import migrations

from newsroom.permissions import make_permissions


def grant(apps, schema_editor):
    make_permissions(apps, "live")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    live = Permission.objects.filter(content_type__app_label="live")
    journalist, _ = Group.objects.get_or_create(name="Journalist")
    journalist.permissions.add(
        *live.filter(codename__in=["add_liveupdate", "change_liveupdate", "view_liveupdate", "view_liveblog"])
    )
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(*live)


class Migration(migrations.Migration):
    dependencies = [("live", "0001_live_coverage"), ("articles", "0019_one_line_texts")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
