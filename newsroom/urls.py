import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.static import serve

from articles.sitemaps import ArticleSitemap, AuthorSitemap, NewsSitemap, SectionSitemap, TagSitemap
from newsletter.webhooks import tracking_webhook
from newsroom import accounts, freshness, public_cache, security
from pages.sitemaps import PageSitemap

SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
    "pages": PageSitemap,
}

# The sitemaps list articles, sections, tags, authors and pages: every change to one of those moves `sitemaps`.
sitemap_index = freshness.showing("sitemaps")(sitemap_views.index)
sitemap = freshness.showing("sitemaps")(public_cache.reads_query(p=public_cache.PAGE_NUMBER)(sitemap_views.sitemap))

handler500 = "newsroom.errors.server_error"

urlpatterns = [
    # Staff reset a forgotten password by email (the admin's sign-in page links here).
    path("admin/password_reset/", accounts.StaffPasswordResetView.as_view(), name="admin_password_reset"),
    path("admin/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="admin_password_reset_done"),
    path(
        "admin/reset/<uidb64>/<token>/",
        accounts.StaffPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("admin/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("sitemap.xml", sitemap_index, {"sitemaps": SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-news.xml",
        sitemap,
        {"sitemaps": {"news": NewsSitemap}, "template_name": "sitemaps/news.xml"},
        name="news_sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("newsletter/", include("newsletter.urls")),
    path("csp-report/", security.csp_report, name="csp_report"),
    path("embeds/", include("embeds.urls")),
    path("articles/", include("live.urls")),
    # The email provider's tracking webhooks (bounces, complaints…), at the paths anymail's documentation gives.
    path("anymail/<str:provider>/tracking/", tracking_webhook, name="email_tracking_webhook"),
    path("", include("articles.urls")),
    # Last: a standing page (About us, Contact) takes any one-word address nothing above has.
    path("", include("pages.urls")),
]

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}
        )
    ]
