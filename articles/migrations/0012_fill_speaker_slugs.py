from django.db import migrations
from django.utils.text import slugify


def fill(apps, schema_editor):
    Quote = apps.get_model("articles", "Quote")
    for quote in Quote.objects.filter(speaker_slug="").iterator():
        quote.speaker_slug = slugify(quote.speaker_name)[:120] or "unknown"
        quote.save(update_fields=["speaker_slug"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_quote_speaker_slug")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
