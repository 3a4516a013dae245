"""Tags saved with no address (a name of punctuation only) get one, so their articles' pages work; speakers
named in a non-Latin script, all filed under "unknown" until now, get addresses of their own."""

from django.db import migrations
from django.utils.text import slugify


def fill(apps, schema_editor):
    Tag = apps.get_model("taggit", "Tag")
    for tag in Tag.objects.filter(slug=""):
        slug, n = f"tag-{tag.pk}", 1
        while Tag.objects.filter(slug=slug).exists():
            slug, n = f"tag-{tag.pk}-{n}", n + 1
        tag.slug = slug
        tag.save(update_fields=["slug"])
    Quote = apps.get_model("articles", "Quote")
    for quote in Quote.objects.filter(speaker_slug="unknown").iterator():
        if slug := slugify(quote.speaker_name, allow_unicode=True)[:120]:
            quote.speaker_slug = slug
            quote.save(update_fields=["speaker_slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_article_visibility_index"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
