from django.db import migrations


def backfill(apps, schema_editor):
    """Live blogs from before their frames were kept: the origins their updates' embeds play from, worked out from the
    updates' text (as live/services.py keeps them), so their pages let those players in without a new update."""
    from embeds.body import frame_origins
    from newsroom import freshness

    LiveBlog = apps.get_model("live", "LiveBlog")
    LiveUpdate = apps.get_model("live", "LiveUpdate")
    for live_blog in LiveBlog.objects.only("pk", "article_id", "frame_origins").iterator():
        if live_blog.frame_origins:
            continue
        origins = set()
        for body in LiveUpdate.objects.filter(live_blog_id=live_blog.pk).values_list("body", flat=True).iterator():
            origins |= frame_origins(body)
        if origins:
            LiveBlog.objects.filter(pk=live_blog.pk).update(frame_origins=sorted(origins))
            freshness.changed(f"article:{live_blog.article_id}")  # its page, cached with the old policy, made again


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0003_live_blog_frame_origins"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
