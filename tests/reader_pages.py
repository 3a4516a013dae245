"""The reader's pages that the accessibility and HTML checks visit: one of every kind, with demo content."""

import io

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from newsletter.models import Edition, EditionItem, Newsletter, Subscriber, Subscription


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
    edition = sent_edition(Newsletter.objects.get(slug="the-daily"))
    reader = Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="pages.reader@example.com"),
        newsletter=edition.newsletter,
        status=Subscription.Status.ACTIVE,
        subscribed_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "article with embeds": Article.objects.get(slug="wend-flood-scheme").get_absolute_url(),
        "article with story blocks": Article.objects.get(slug="charter-fair-750").get_absolute_url(),
        "live blog": live_blog(exclude=[article.slug, "wend-flood-scheme", "charter-fair-750"]).get_absolute_url(),
        "section": article.section.get_absolute_url(),
        "tag": f"/tags/{article.tags.first().slug}/",
        "author": article.bylines.first().author.get_absolute_url(),
        "speaker": article.quotes.first().get_speaker_url(),
        "search": "/search/?q=bridge",
        "search, nothing found": "/search/?q=zebra+crossing+xylophone",
        "newsletter": "/newsletter/",
        "check your inbox": "/newsletter/check-your-inbox/",
        "newsletter edition": edition.get_absolute_url(),
        "newsletter archive": f"/newsletter/{edition.newsletter.slug}/archive/",
        "newsletter preferences": reader.preferences_url().removeprefix(settings.SITE_URL.rstrip("/")),
        "about": "/about/",
        "not found": "/no-such-page/",
    }


def live_blog(*, exclude) -> Article:
    """A published story made a live blog, with a pinned update and a plain one."""
    from live.models import LiveBlog, LiveUpdate

    story = Article.objects.published().exclude(slug__in=exclude).filter(bylines__isnull=False).distinct().first()
    blog = LiveBlog.objects.create(article=story)
    author = story.bylines.first().author
    LiveUpdate.objects.create(live_blog=blog, author=author, headline="Where to get help", body="<p>Call us.</p>")
    LiveUpdate.objects.create(live_blog=blog, author=author, pinned=True, body="<p>The <em>road</em> is closed.</p>")
    return story


def sent_edition(newsletter) -> Edition:
    """An edition of the newsletter that went out, carrying the newest stories (with lead images and without)."""
    edition = Edition.objects.create(
        newsletter=newsletter,
        issue_date=timezone.localdate(),
        subject="Today: the stories of the day",
        preheader="What happened in town today.",
        intro="<p>Good morning. Here is <strong>the day</strong> in brief.</p><p>See you tomorrow.</p>",
        status=Edition.Status.SENT,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    stories = Article.objects.published().newest_first()[:5]
    EditionItem.objects.bulk_create(
        EditionItem(edition=edition, article=story, order=position) for position, story in enumerate(stories)
    )
    return edition
