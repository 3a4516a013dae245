"""The reader's pages that the accessibility and HTML checks visit: one of every kind, with demo content."""

import io

from django.core.management import call_command

from articles.models import Article


def seed_reader_pages() -> dict[str, str]:
    """Seed the demo newsroom; name an address of every kind of page a reader can reach."""
    call_command("seed_demo", stdout=io.StringIO())
    article = (
        Article.objects.published()
        .filter(quotes__isnull=False, figures__isnull=False, corrections__isnull=False)
        .distinct()
        .first()
    )
    assert article is not None, "the demo content has an article with quotes, figures and a correction"
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "section": article.section.get_absolute_url(),
        "tag": f"/tags/{article.tags.first().slug}/",
        "author": article.bylines.first().author.get_absolute_url(),
        "speaker": article.quotes.first().get_speaker_url(),
        "search": "/search/?q=bridge",
        "search, nothing found": "/search/?q=zebra+crossing+xylophone",
        "newsletter": "/newsletter/",
        "check your inbox": "/newsletter/check-your-inbox/",
        "about": "/about/",
        "not found": "/no-such-page/",
    }
