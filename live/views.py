"""The list of a live blog's updates on its own, for readers' pages to refresh without reloading (live.js).

Cached like every reader's page (newsroom/public_cache.py) under the story's keys, so an update shows at once and
every other poll costs the cache one look; browsers revalidate it (`cache: "no-cache"`) and get 304s between
updates."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from articles.models import Article
from newsroom import freshness

from .models import live_blog_of, page_keys, updates_version, with_parts


@require_safe
def updates(request, slug: str):
    article = get_object_or_404(Article.objects.published().select_related("live_blog"), slug=slug)
    live_blog = live_blog_of(article)
    if live_blog is None:
        raise Http404("This story is not a live blog.")
    entries = with_parts(list(live_blog.updates.select_related("author")))
    freshness.depends_on(request, f"article:{article.pk}", *page_keys(entries))
    context = {"article": article, "live_blog": live_blog, "live_updates": entries}
    return render(request, "live/updates.html", {**context, "live_version": updates_version(entries)})
