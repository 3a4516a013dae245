"""For data migrations that grant permissions: Django normally makes them only after all migrations."""

from django.contrib.auth.management import create_permissions


def make_permissions(apps, *app_labels: str) -> None:
    for label in app_labels:
        app_config = apps.get_app_config(label)
        models_module, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
