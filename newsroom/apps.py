from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    default_site = "newsroom.admin.NewsroomAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from newsroom import accounts, freshness, purging

        user_login_failed.connect(accounts.count_failure, dispatch_uid="newsroom.accounts.count_failure")
        user_logged_in.connect(accounts.session_started, dispatch_uid="newsroom.accounts.session_started")
        import newsroom.checks  # noqa: F401  (registers the deploy checks)
        import newsroom.lockouts  # noqa: F401  (django-axes' list of failed sign-ins, its action mended)

        # In every process that changes content (web, worker, command): the caching proxies hear of it.
        freshness.on_committed(purging.purge_proxies)
