from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Editorial"

    def ready(self):
        from newsroom import freshness

        from . import dependencies, image_files

        # Everything readers see of an article and around it: what each change affects.
        dependencies.connect()
        freshness.fragment("nav-sections")  # the sections in every page's header and footer
        image_files.connect()  # renditions made by a worker; files of replaced and deleted pictures removed
