"""RSS 2.0 and Atom feeds of published articles: the whole site and each section."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import format_html, format_html_join

from newsroom import freshness
from newsroom.text import xml_safe

from .models import Article, Section

FEED_LENGTH = 30


class ArticleFeed(Feed):
    feed_type = Rss201rev2Feed
    description_template = None

    def title(self, obj=None):
        return xml_safe(f"{settings.SITE_NAME}: {obj.name}" if obj else settings.SITE_NAME)

    def link(self, obj=None):
        return obj.get_absolute_url() if obj else reverse("articles:home")

    def description(self, obj=None):
        return xml_safe(
            (obj.description if obj and obj.description else None) or f"The latest news from {settings.SITE_NAME}."
        )

    def items(self, obj=None):
        articles = Article.objects.published().for_list().prefetch_related("tags", "corrections").newest_first()
        if obj is not None:
            articles = articles.in_section(obj)
        return articles[:FEED_LENGTH]

    def item_title(self, item):
        return xml_safe(item.headline)

    def item_description(self, item):
        """HTML, as feed readers take it: the standfirst, then each correction, dated (escaped text)."""
        corrections = format_html_join(
            "",
            "<p><strong>Correction, {}:</strong> {}</p>",
            ((date_format(timezone.localtime(c.published_at), "j F Y"), c.text) for c in item.corrections.all()),
        )
        return xml_safe(format_html("<p>{}</p>{}", item.standfirst, corrections))

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        # Stable across edits and slug changes: the article's id, not its address.
        return f"tag:{self._domain},{item.first_published_at or item.published_at:%Y-%m-%d}:article-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return xml_safe(", ".join(byline.author.name for byline in item.bylines.all())) or None

    def item_categories(self, item):
        return [xml_safe(name) for name in (item.section.name, *(tag.name for tag in item.tags.all()))]

    def item_enclosures(self, item):
        if item.lead_image is None:
            return []
        renditions = item.lead_image.renditions(item.lead_image.fallback_extension)
        if not renditions:
            return []
        chosen = next((r for r in renditions if r.width >= 960), renditions[-1])
        # The length is not known without reading the file; 0 is what RSS readers accept for "unknown".
        return [Enclosure(self._absolute(chosen.url), "0", chosen.content_type)]

    def get_feed(self, obj, request):
        freshness.depends_on(request, "feeds")
        self._domain = request.get_host().split(":")[0]
        self._scheme_host = f"{request.scheme}://{request.get_host()}"
        return super().get_feed(obj, request)

    def _absolute(self, url: str) -> str:
        return url if "://" in url else f"{self._scheme_host}{url}"


class SectionFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)


class AtomArticleFeed(ArticleFeed):
    feed_type = Atom1Feed
    subtitle = ArticleFeed.description
