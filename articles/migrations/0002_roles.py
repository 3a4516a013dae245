"""Newsroom roles as groups. A first cut on model permissions; the workflow issue refines them."""

from django.db import migrations

from newsroom.permissions import make_permissions

JOURNALIST = {
    "articles": [
        "add_article",
        "change_article",
        "view_article",
        "add_byline",
        "change_byline",
        "delete_byline",
        "view_byline",
        "add_figure",
        "change_figure",
        "delete_figure",
        "view_figure",
        "add_quote",
        "change_quote",
        "delete_quote",
        "view_quote",
        "add_relatedarticle",
        "change_relatedarticle",
        "delete_relatedarticle",
        "view_relatedarticle",
        "add_image",
        "change_image",
        "view_image",
        "view_section",
        "view_author",
    ],
    "taggit": ["add_tag", "view_tag"],
}
EDITOR_APPS = ["articles", "taggit"]


def create_roles(apps, schema_editor):
    make_permissions(apps, "auth", "contenttypes", "articles", "taggit")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    journalist, _ = Group.objects.get_or_create(name="Journalist")
    for app_label, codenames in JOURNALIST.items():
        journalist.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(*Permission.objects.filter(content_type__app_label__in=EDITOR_APPS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Journalist", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
