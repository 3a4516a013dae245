"""Which stories and live updates each embed is in, so its frame is served only while a public one shows it.

The existing texts are read here with the rule as it stands today, frozen (a paragraph of one link whose words
are its address, or of a bare address), and linked to the embeds already registered for those links; every save
from now on keeps the record itself (embeds/body.py)."""

import re
from html import unescape
from urllib.parse import urlsplit, urlunsplit

from django.db import migrations, models

_LINK_ALONE = re.compile(r'<p\b[^>]*>\s*(?:<a\b[^>]*?\bhref="([^"]+)"[^>]*>([^<]*)</a>|(https?://[^\s<]+))\s*</p>')


def _normalised(url: str) -> str:
    parts = urlsplit(url.strip())
    fragment = parts.fragment if parts.fragment.startswith("map=") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, fragment))


def _links(html: str) -> set[str]:
    links = set()
    for href, text, bare in _LINK_ALONE.findall(html or ""):
        url = unescape(bare or href)
        if href and unescape(text).strip() not in {url, url.rstrip("/")}:
            continue  # a link in words is meant as a link
        try:
            links.add(_normalised(url))
        except ValueError:  # "https://[::1/x": never an embed
            continue
    return links


def link_embeds(apps, schema_editor):
    Embed = apps.get_model("embeds", "Embed")
    embeds = dict(Embed.objects.values_list("url", "pk"))
    if not embeds:
        return
    texts = [("articles", "articles.Article", "article_id"), ("live_updates", "live.LiveUpdate", "liveupdate_id")]
    for field, model, column in texts:
        Through = getattr(Embed, field).through
        rows = []
        for pk, body in apps.get_model(model).objects.values_list("pk", "body").iterator():
            rows += [Through(embed_id=embeds[url], **{column: pk}) for url in _links(body) if url in embeds]
        Through.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0021_article_released_at"),
        ("embeds", "0003_attempts"),
        ("live", "0004_backfill_frame_origins"),
    ]

    operations = [
        migrations.AddField(
            model_name="embed",
            name="articles",
            field=models.ManyToManyField(blank=True, editable=False, related_name="embeds", to="articles.article"),
        ),
        migrations.AddField(
            model_name="embed",
            name="live_updates",
            field=models.ManyToManyField(blank=True, editable=False, related_name="embeds", to="live.liveupdate"),
        ),
        migrations.RunPython(link_embeds, migrations.RunPython.noop),
    ]
