from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from .models import Article, Author, Section, published_filter


class ArticleSitemap(Sitemap):
    changefreq = "daily"
    limit = 10_000

    def items(self):
        return Article.objects.published().only("slug", "updated_at", "published_at").order_by("-published_at", "-id")

    def lastmod(self, article):
        return article.updated_at


class SectionSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return Section.objects.all()


class NewsSitemap(Sitemap):
    """Google News: what was published in the last two days."""

    limit = 1000

    def items(self):
        since = timezone.now() - timezone.timedelta(days=2)
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .only("slug", "headline", "published_at", "updated_at")
            .order_by("-published_at")
        )

    def lastmod(self, article):
        """The story's last change: a live blog's latest update moves it on (live/services.py)."""
        return max(article.published_at, article.updated_at)


class TagSitemap(Sitemap):
    changefreq = "daily"
    limit = 10_000

    def items(self):
        return (
            Tag.objects.filter(published_filter("articles_taggedarticle_items__content_object__"))
            .distinct()
            .order_by("slug")
        )

    def location(self, tag):
        return reverse("articles:tag", kwargs={"slug": tag.slug})


class AuthorSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Author.objects.filter(published_filter("articles__")).distinct().order_by("slug")
