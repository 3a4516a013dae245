from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Editorial"

    def ready(self):
        from taggit.models import Tag

        from newsroom import freshness

        from . import models as m

        # Everything readers see of an article and around it.
        freshness.watch(m.Article, m.Byline, m.Correction, m.Figure, m.Quote, m.RelatedArticle, m.TaggedArticle)
        freshness.watch(m.Author, m.Image, m.OldSlug, m.Section, Tag)
        freshness.fragment("nav-sections")  # the sections in every page's header and footer
