"""What the editorial pages show, and what each editorial change affects, as keys (newsroom/freshness.py).

Objects: `article:ID` (everything written in it and hung on it), `section:ID`, `author:ID`, `tag:ID`,
`image:ID` (the fields a card or byline shows). Lists: `front`, `feeds`, `sitemaps`, `search`, `quotes`, and
`section-list:ID`, `tag-list:ID`, `author-list:ID` (which stories those pages list).

A change to an article readers can see, or could see before it, affects the article and every list it is or
was on; a draft's changes affect nothing readers see. Related news follows the articles it shows (an edit or
unpublish of one shows at once) but a newly published story joins older stories' related news only when
those pages are next made, within CONTENT_CACHE_SECONDS.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from taggit.models import Tag

from newsroom import freshness

from .models import (
    Article,
    Author,
    Byline,
    Correction,
    Figure,
    Image,
    OldSlug,
    Quote,
    RelatedArticle,
    Section,
    TaggedArticle,
)

LISTS = ("front", "feeds", "sitemaps", "search", "quotes")


# What pages show.


def card_part(article, featured, heading_level) -> str:
    """The name of an article card's cached part (`{% article_card %}` in articles/templatetags/articles_tags.py)."""
    return f"card:{article.pk}:{featured}:{heading_level}"


def card_keys(article) -> set[str]:
    """An article card (home, lists, search, related news): the article, its section, lead image and bylines."""
    keys = {f"article:{article.pk}", f"section:{article.section_id}"}
    if article.lead_image_id:
        keys.add(f"image:{article.lead_image_id}")
    if hasattr(article, "card_bylines"):  # loaded for its card alone (articles/models.py `load_card_bylines`)
        keys.update(f"author:{byline.author_id}" for byline in article.card_bylines)
    elif "bylines" in getattr(article, "_prefetched_objects_cache", {}):
        keys.update(f"author:{byline.author_id}" for byline in article.bylines.all())
    return keys


def article_page_keys(article) -> set[str]:
    """The article page: the card's keys, its tags and its figures' images (articles/loading.py loads them)."""
    keys = card_keys(article)
    keys.update(f"tag:{tag.pk}" for tag in article.tags.all())
    keys.update(f"image:{figure.image_id}" for figure in article.figures.all())
    return keys


def article_head_keys(article) -> set[str]:
    """The article page's head (sharing metadata, JSON-LD): the article, section, lead image, bylines, tags."""
    return card_keys(article) | {f"tag:{tag.pk}" for tag in article.tags.all()}


def cards_keys(articles) -> set[str]:
    keys = set()
    for article in articles:
        keys |= card_keys(article)
    return keys


# What changes affect.


def _is_public(status, published_at, now) -> bool:
    return status == Article.Status.PUBLISHED and published_at is not None and published_at <= now


def article_change_keys(article_ids, *, before=(), also=()) -> set[str]:
    """Articles changed: their own keys and, for those readers can see or saw before the change, every list
    they are on, and `also` (a tag's or author's list when that link changed)."""
    ids = {pk for pk in article_ids if pk is not None}
    keys = {f"article:{pk}" for pk in ids}
    now = timezone.now()
    rows = Article.objects.filter(pk__in=ids).values_list("pk", "status", "published_at", "section_id")
    public = {pk: section for pk, status, at, section in rows if _is_public(status, at, now)}
    was_public = {b["pk"]: b["section_id"] for b in before if _is_public(b["status"], b["published_at"], now)}
    listed = public | was_public
    if not listed:
        return keys
    keys.update(LISTS, also)
    keys.update(f"section-list:{section}" for section in {*public.values(), *was_public.values()})
    tags = TaggedArticle.objects.filter(content_object_id__in=listed).values_list("tag_id", flat=True)
    authors = Byline.objects.filter(article_id__in=listed).values_list("author_id", flat=True)
    keys.update(f"tag-list:{tag}" for tag in set(tags))
    keys.update(f"author-list:{author}" for author in set(authors))
    return keys


def next_due():
    """When the next story not yet out is due: a scheduled one, or one whose time came while its save was
    uncommitted (then it is already due)."""
    return (
        Article.objects.filter(status=Article.Status.PUBLISHED, released_at__isnull=True)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )


RELEASE_CHUNK = 500  # ids a statement names: well inside SQLite's limit on variables


def due(now) -> freshness.Due:
    """The stories due by now and not yet out, whenever their saves committed: what they affect, and how to
    record them as out where they still stand as read (an editor's newer time or unpublishing wins)."""
    rows = dict(Article.objects.published().filter(released_at__isnull=True).values_list("pk", "published_at"))
    if not rows:
        return freshness.Due(set(), None, lambda: None)

    def released():
        # Only what is still out now: a story an editor moved later or unpublished meanwhile is not, and waits
        # for its new time. In chunks, however many came due at once (a restore, a bulk load).
        pks = list(rows)
        for start in range(0, len(pks), RELEASE_CHUNK):
            Article.objects.published().filter(
                pk__in=pks[start : start + RELEASE_CHUNK], released_at__isnull=True
            ).update(released_at=now)

    return freshness.Due(article_change_keys(list(rows)), max(rows.values()), released)


def _remember_before(sender, instance, raw=False, **kwargs):
    """Where the article stood before this save: a list it leaves must show it gone."""
    if raw or instance.pk is None:
        instance._before_save = None
        return
    instance._before_save = (
        Article.objects.filter(pk=instance.pk).values("pk", "status", "published_at", "section_id").first()
    )


def _article_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = [getattr(instance, "_before_save", None) or {}]
    if kwargs.get("signal") is post_delete:
        before = [{"pk": instance.pk, **{f: getattr(instance, f) for f in ("status", "published_at", "section_id")}}]
    before = [b for b in before if b]
    freshness.changed(*article_change_keys([instance.pk], before=before))
    freshness.rescheduled()


def _part_changed(article_field: str, also=lambda instance: ()):
    def on_change(sender, instance, raw=False, **kwargs):
        if not raw:
            freshness.changed(*article_change_keys([getattr(instance, article_field)], also=also(instance)))

    return on_change


def connect() -> None:
    uid = "freshness-articles"
    pre_save.connect(_remember_before, sender=Article, dispatch_uid=f"{uid}-before")
    for signal in (post_save, post_delete):
        signal.connect(_article_changed, sender=Article, dispatch_uid=f"{uid}-article-{signal is post_save}")
        parts = {
            TaggedArticle: _part_changed("content_object_id", lambda tagged: [f"tag-list:{tagged.tag_id}"]),
            Byline: _part_changed("article_id", lambda byline: [f"author-list:{byline.author_id}"]),
            Figure: _part_changed("article_id"),
            Quote: _part_changed("article_id"),
            Correction: _part_changed("article_id"),
            RelatedArticle: _part_changed("from_article_id"),
            OldSlug: _part_changed("article_id"),
        }
        for model, handler in parts.items():
            signal.connect(
                handler, sender=model, weak=False, dispatch_uid=f"{uid}-{model._meta.label}-{signal is post_save}"
            )
    freshness.watch(Author, lambda author: {f"author:{author.pk}", f"author-list:{author.pk}", "feeds", "sitemaps"})
    freshness.watch(Image, lambda image: {f"image:{image.pk}", "feeds"})
    freshness.watch(
        Section,
        lambda section: {f"section:{section.pk}", f"section-list:{section.pk}", freshness.CHROME, *LISTS},
    )
    freshness.watch(Tag, lambda tag: {f"tag:{tag.pk}", f"tag-list:{tag.pk}", "feeds", "sitemaps", "search"})
    freshness.schedule_with(next_due=next_due, due=due)
