"""Editors compose and send editions; Audience staff see them and their reports; Journalists see nothing.

Sign-ups from before: their confirmation was asked for when it was recorded as sent.
"""

from django.db import migrations
from django.db.models import F

from newsroom.permissions import make_permissions

EDITOR = [
    "view_newsletter",
    "add_edition",
    "change_edition",
    "delete_edition",
    "view_edition",
    "send_edition",
    "add_editionitem",
    "change_editionitem",
    "delete_editionitem",
    "view_editionitem",
    "view_delivery",
]
AUDIENCE = ["view_edition", "view_editionitem", "view_delivery"]


def grant(apps, schema_editor):
    make_permissions(apps, "newsletter")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editor", EDITOR), ("Audience", AUDIENCE)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="newsletter", codename__in=codenames))


def requested_when_sent(apps, schema_editor):
    Subscription = apps.get_model("newsletter", "Subscription")
    Subscription.objects.filter(confirmation_requested_at=None).update(
        confirmation_requested_at=F("confirmation_sent_at")
    )


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0004_editions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(requested_when_sent, migrations.RunPython.noop),
    ]
