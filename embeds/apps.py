from django.apps import AppConfig


class EmbedsConfig(AppConfig):
    name = "embeds"
    verbose_name = "Embeds"

    def ready(self):
        from . import body

        body.connect()  # a story's embed links registered when it is saved
