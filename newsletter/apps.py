from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Audience"

    def ready(self):
        from newsroom import freshness

        from .models import Edition, EditionItem, Newsletter

        freshness.watch(Newsletter)  # its name and description are in every page's sign-up form
        freshness.watch(Edition, EditionItem)  # the web versions and the archive
        freshness.fragment("signup-newsletters")
