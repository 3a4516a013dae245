"""A count of fetches begun and the time of the next, so the scheduler fetches a failing embed a few times, further
apart each time, and then leaves it failed. Embeds still pending are due at once; failed ones stay failed until
someone asks (as before)."""

from django.db import migrations, models
from django.utils import timezone


def pending_due_now(apps, schema_editor):
    Embed = apps.get_model("embeds", "Embed")
    Embed.objects.filter(status="pending").update(next_attempt_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("embeds", "0002_staff_see_embeds")]

    operations = [
        migrations.AddField(
            model_name="embed",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="embed",
            name="next_attempt_at",
            field=models.DateTimeField(
                blank=True,
                db_index=True,
                editable=False,
                help_text="When the scheduler fetches it again; empty: only if someone asks.",
                null=True,
            ),
        ),
        migrations.RunPython(pending_due_now, migrations.RunPython.noop),
    ]
