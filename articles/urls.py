from django.urls import path, register_converter

from . import feeds, views
from .tagging import UnicodeSlugConverter

register_converter(UnicodeSlugConverter, "uslug")

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="detail"),
    path("sections/<slug:slug>/", views.SectionView.as_view(), name="section"),
    path("sections/<slug:slug>/feed/", feeds.SectionFeed(), name="section_feed"),
    path("feeds/rss.xml", feeds.ArticleFeed(), name="feed"),
    path("feeds/atom.xml", feeds.AtomArticleFeed(), name="atom_feed"),
    path("tags/<uslug:slug>/", views.TagView.as_view(), name="tag"),
    path("authors/<slug:slug>/", views.AuthorView.as_view(), name="author"),
    path("quotes/<uslug:slug>/", views.SpeakerView.as_view(), name="speaker"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("preview/<str:token>/", views.ArticlePreviewView.as_view(), name="preview"),
]
