from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Site pages"

    def ready(self):
        from newsroom import freshness

        from .models import Page

        freshness.watch(Page)  # the footer lists them on every page
        freshness.fragment("footer-pages")
