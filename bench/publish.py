"""What a publish costs a warm page cache, through a real server (`make bench`, bench/run.py).

- Warm: every article page of a sample is fetched through gunicorn until it is cached; one new story (in a
  section, with tags and an author of its own choosing among the existing ones) is published in this
  process, through the same service the admin calls; then every sampled page is fetched again, and the share
  still answered from the cache is the hit rate. The front page, the story's section, tag and author pages
  and the feeds must show it on their next request.
- Stampede: 16 readers ask for the front page without pause; a story is published while they do; every
  answer made afresh (X-Page-Cache: miss) after the publish is a render of the front page.
"""

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

READERS = 16


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, response.headers.get("X-Page-Cache", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def fetch_all(base: str, paths: list[str], workers: int = 8) -> list[tuple[int, str]]:
    """Status and X-Page-Cache of each page; not the bodies (10,000 pages would stay in this process's memory,
    and every process it starts afterwards would count them in its peak RSS)."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda path: fetch(base + path)[:2], paths))


def new_story(headline: str):
    """A draft in the busiest section, with three tags and one author already on the site, and a publisher."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from taggit.models import Tag

    from articles.models import Article, Author, Byline, Section

    editor, _ = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True, "is_superuser": True}
    )
    section = Section.objects.annotate(n=Count("articles")).order_by("-n").first()
    article = Article.objects.create(
        headline=headline,
        slug=f"bench-{time.time_ns()}",
        standfirst="A story published into a warm cache.",
        body="<p>It went out while readers were reading.</p>",
        section=section,
        status=Article.Status.DRAFT,
    )
    article.tags.set(list(Tag.objects.order_by("?")[:3]))
    Byline.objects.create(article=article, author=Author.objects.order_by("?").first())
    return article, editor


def publish(article, editor) -> None:
    from articles.services import article_publish

    article.published_at = None
    article_publish(article=article, user=editor)


def shown_on(article) -> list[str]:
    """The pages a newly published story must appear on at once."""
    from django.urls import reverse

    pages = ["/", article.section.get_absolute_url(), reverse("articles:feed"), reverse("articles:atom_feed")]
    pages += [reverse("articles:tag", kwargs={"slug": tag.slug}) for tag in article.tags.all()]
    pages += [byline.author.get_absolute_url() for byline in article.bylines.select_related("author")]
    return pages


def warm_cache_publish(base: str, paths: list[str]) -> dict:
    """Hit rate of `paths` after one publish into a cache holding all of them, and where the story shows."""
    started = time.monotonic()
    for _ in range(3):  # made once, then confirmed cached
        answers = fetch_all(base, paths)
        if all(cache == "hit" for _, cache in answers):
            break
    warmed = sum(cache == "hit" for _, cache in answers)
    warm_seconds = time.monotonic() - started
    article, editor = new_story("A story published into a warm cache")
    pages = shown_on(article)
    for page in pages:
        fetch(base + page)  # cached before the publish
    publish(article, editor)
    after = fetch_all(base, paths)
    hits = sum(cache == "hit" for _, cache in after)
    missing = [page for page in pages if article.headline.encode() not in fetch(base + page)[2]]
    return {
        "pages": len(paths),
        "cached_before": warmed,
        "warm_seconds": round(warm_seconds, 1),
        "hits_after_publish": hits,
        "hit_rate_percent": round(100 * hits / len(paths), 2),
        "pages_to_show_it": len(pages),
        "pages_not_showing_it": missing,
    }


def stampede(base: str, seconds: float = 4.0) -> dict:
    """Renders of the front page after a publish while READERS readers ask for it without pause."""
    fetch(base + "/")
    fetch(base + "/")
    article, editor = new_story("A story published under sixteen readers")
    published_at: list[float] = []
    answers: list[tuple[float, int, str]] = []
    stop = time.monotonic() + seconds

    def read():
        while time.monotonic() < stop:
            status, cache, _ = fetch(base + "/")
            answers.append((time.monotonic(), status, cache))

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    time.sleep(seconds / 3)
    published_at.append(time.monotonic())
    publish(article, editor)
    for reader in readers:
        reader.join()
    after = [(status, cache) for at, status, cache in answers if at >= published_at[0]]
    shown = article.headline.encode() in fetch(base + "/")[2]
    return {
        "readers": READERS,
        "answers_after_publish": len(after),
        "renders_after_publish": sum(cache == "miss" for _, cache in after),
        "stale_answers": sum(cache == "stale" for _, cache in after),
        "errors": sum(status != 200 for status, _ in after),
        "shown_after": shown,
    }
