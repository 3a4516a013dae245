from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.admin.NewsroomAdminSite"

    def ready(self):
        super().ready()
        from newsroom import freshness, purging

        # In every process that changes content (web, worker, command): the caching proxies hear of it.
        freshness.on_committed(purging.purge_proxies)
