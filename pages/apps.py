from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Site pages"

    def ready(self):
        from newsroom import freshness

        from .models import Page

        # The page itself; the footer lists them on every page; the sitemap.
        freshness.watch(Page, lambda page: {f"page:{page.pk}", freshness.CHROME, "sitemaps"})
        freshness.fragment("footer-pages")
