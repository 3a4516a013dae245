from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Audience"

    def ready(self):
        from newsroom import freshness

        from .models import Newsletter

        freshness.watch(Newsletter)  # its name and description are in every page's sign-up form
        freshness.fragment("signup-newsletters")
