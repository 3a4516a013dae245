from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live coverage"

    def ready(self):
        import reversion

        from .models import LiveUpdate

        if not reversion.is_registered(LiveUpdate):
            reversion.register(LiveUpdate)  # every posted and edited update kept, with who and when
