from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def mark_live_stories_released(apps, schema_editor):
    """Stories already out were told to the pages that list them when they went out; scheduled ones wait."""
    Article = apps.get_model("articles", "Article")
    Article.objects.filter(status="published", published_at__lte=timezone.now()).update(released_at=F("published_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0020_article_key_points"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="released_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the pages that list it were told it is out; empty while it is scheduled or unpublished.",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("released_at__isnull", True), ("status", "published")),
                fields=["published_at"],
                name="article_unreleased_idx",
            ),
        ),
        migrations.RunPython(mark_live_stories_released, migrations.RunPython.noop),
    ]
