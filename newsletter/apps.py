from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Audience"

    def ready(self):
        from newsroom import freshness

        from . import checks, webhooks  # noqa: F401 (registers the deploy check, connects the provider's events)
        from .models import Edition, EditionItem, Newsletter

        # Its name and description are in every page's sign-up form.
        freshness.watch(Newsletter, lambda newsletter: {freshness.CHROME})
        # An edition's web version and the archive (pages that depend on `all`): starting, pausing, cancelling
        # and editing all save the edition. Finishing (SENDING to SENT) is an update() without a signal, and
        # changes nothing they show.
        freshness.watch(Edition)
        freshness.watch(EditionItem)
        freshness.fragment("signup-newsletters")
