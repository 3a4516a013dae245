from urllib.parse import urlencode

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView

from .models import Article, Section
from .preview import PreviewExpired, PreviewInvalid, read_preview_token
from .search import clean_query, snippet


class HomeView(TemplateView):
    template_name = "articles/home.html"
    latest_count = 13

    def get_context_data(self, **kwargs):
        articles = list(Article.objects.published().for_list().newest_first()[: self.latest_count])
        return super().get_context_data(lead=articles[0] if articles else None, latest=articles[1:], **kwargs)


class ArticleDetailView(DetailView):
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.published().for_page()

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An address the article had before its slug changed: send readers on, permanently.
            moved = Article.objects.published().filter(old_slugs__slug=self.kwargs["slug"]).first()
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            body_parts=self.object.body_parts(), related_news=self.object.related_news(), **kwargs
        )


class ArticlePreviewView(ArticleDetailView):
    """The article as readers will see it, from a signed link; never indexed, never cached."""

    def get(self, request, *args, **kwargs):
        try:
            self.preview_pk = read_preview_token(kwargs["token"])
        except (PreviewExpired, PreviewInvalid) as exc:
            expired = isinstance(exc, PreviewExpired)
            response = render(
                request, "articles/preview_problem.html", {"expired": expired}, status=410 if expired else 400
            )
        else:
            response = DetailView.get(self, request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    def get_object(self, queryset=None):
        return get_object_or_404(Article.objects.for_page(), pk=self.preview_pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(is_preview=True, **kwargs)


class SearchView(ListView):
    template_name = "articles/search.html"
    context_object_name = "articles"
    paginate_by = 10

    def get_queryset(self):
        self.query = clean_query(self.request.GET.get("q", ""))
        self.order = "newest" if self.request.GET.get("sort") == "newest" else "relevance"
        if not self.query:
            return Article.objects.none()
        return Article.objects.published().search(self.query, order=self.order).select_related("section")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            search_query=self.query,
            order=self.order,
            page_query=urlencode({"q": self.query, "sort": self.order}),
            **kwargs,
        )
        context["results"] = [(article, snippet(article, self.query)) for article in context["articles"]]
        return context


class SectionView(ListView):
    template_name = "articles/section_detail.html"
    context_object_name = "articles"
    paginate_by = 12

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return Article.objects.published().in_section(self.section).for_list().newest_first()

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


@require_safe
def robots_txt(request):
    """Crawlers: everything public, nothing of the back office or previews; where the sitemaps are."""
    base = f"{request.scheme}://{request.get_host()}"
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /newsletter/confirm/",
        "Disallow: /newsletter/unsubscribe/",
        "",
        f"Sitemap: {base}{reverse('sitemap_index')}",
        f"Sitemap: {base}{reverse('news_sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
