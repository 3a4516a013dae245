from urllib.parse import urlencode

from django.db import connection
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView
from taggit.models import Tag

from embeds import body as embeds
from live.models import live_blog_of, live_context
from live.models import page_keys as live_page_keys
from newsroom import fragments, freshness
from newsroom.security import allow_frames

from .blocks import picture_ids
from .context_processors import _sections, nav_sections
from .dependencies import article_head_keys, article_page_keys, card_keys, card_part, cards_keys
from .loading import load_article, load_cards, load_story
from .models import (
    SEARCH_MAX_MATCHES,
    Article,
    Author,
    Quote,
    Section,
    load_card_bylines,
    published_filter,
)
from .preview import PreviewExpired, PreviewInvalid, read_preview_token
from .search import clean_query, snippet


class CachedCard:
    """A card known only by its article's id, until its cached part is looked up."""

    def __init__(self, pk: int):
        self.pk = pk


def plan_cards(request, cards) -> tuple[fragments.Plan, dict]:
    """The cached parts of these cards, `(article or CachedCard, featured, heading_level)`. The cards to be made
    are loaded: those known by id only as plain values with their bylines, in one query (articles/loading.py
    `load_cards`); the articles' bylines in one more (as `card_bylines`). Returns the plan and the cards loaded,
    by id; a card whose article was not found is not in it (nor in the plan's parts)."""
    names = {card_part(*card): card[0] for card in cards}
    parts = fragments.plan(request, names)
    missing = parts.missing()
    wanted = [names[name].pk for name in missing if isinstance(names[name], CachedCard)]
    loaded = load_cards(wanted, {section.pk: section for section in nav_sections(request)}) if wanted else {}
    made = {name: loaded.get(names[name].pk, names[name]) for name in missing}
    load_card_bylines([a for a in made.values() if isinstance(a, Article)])
    for name, card in made.items():
        if not isinstance(card, CachedCard):
            parts.shows(name, card_keys(card))
    return parts, {**loaded, **{a.pk: a for a in made.values() if isinstance(a, Article)}}


class HomeView(TemplateView):
    """The lead story and a row of top stories (editors' choice, topped up with the latest), then the
    latest of every section. Only the stories' ids are read, unless their cards must be made."""

    template_name = "articles/home.html"
    top_count = 7
    per_section = 4

    def get_context_data(self, **kwargs):
        published = Article.objects.published()
        top = list(published.front_page_order().values_list("pk", flat=True)[: self.top_count])
        latest = list(
            Article.objects.latest_per_section(self.per_section, exclude_ids=top).values_list("pk", "section_id")
        )
        freshness.depends_on(self.request, "front")
        stubs = {pk: CachedCard(pk) for pk in [*top, *(pk for pk, _ in latest)]}
        cards = [(stubs[pk], index == 0, "") for index, pk in enumerate(top)]
        cards += [(stubs[pk], False, "") for pk, _ in latest]
        parts, loaded = plan_cards(self.request, cards)
        # A story found by id but unpublished before its card was loaded is left out.
        shown = {
            card.pk: loaded.get(card.pk, card)
            for card, *variant in cards
            if card.pk in loaded or parts.found(card_part(card, *variant))
        }
        sections = {section.pk: section for section in nav_sections(self.request)}
        if unknown := {section_id for _, section_id in latest} - set(sections):  # made in another process just now
            sections |= {s.pk: s for s in _sections() if s.pk in unknown}
        by_section: dict = {}
        for pk, section_id in latest:
            if pk in shown:
                by_section.setdefault(sections[section_id], []).append(shown[pk])
        top_shown = [shown[pk] for pk in top if pk in shown]
        return super().get_context_data(
            fragments=parts,
            lead=top_shown[0] if top_shown else None,
            latest=top_shown[1:],
            sections=list(by_section.items()),
            **kwargs,
        )


def story_frame_origins(article) -> set[str]:
    """Where the story's page may load frames from: its embeds' players, and its live updates' (no query)."""
    live_blog = live_blog_of(article)
    return embeds.frame_origins(article.body) | set(live_blog.frame_origins if live_blog else ())


class ArticleDetailView(DetailView):
    """The article, from two cached parts (its head and its page) kept until what they show changes: when both
    are cached the page costs one query; otherwise the rest is loaded and the missing parts are made."""

    context_object_name = "article"

    def get_object(self, queryset=None):
        """The published article with its section, lead picture and live blog: `for_page_shell()`, read in SQL
        of our own (articles/loading.py `load_article`)."""
        article = load_article(self.kwargs["slug"])
        if article is None:
            raise Http404("No published article here.")
        return article

    def get(self, request, *args, **kwargs):
        try:
            response = super().get(request, *args, **kwargs)
        except Http404:
            # An address the article had before its slug changed: send readers on, permanently.
            moved = Article.objects.published().filter(old_slugs__slug=self.kwargs["slug"]).first()
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url())
        allow_frames(response, story_frame_origins(self.object))
        return response

    def get_context_data(self, **kwargs):
        article = self.object
        site_root = f"{self.request.scheme}://{self.request.get_host()}"
        head, page = f"article-head:{article.pk}:{site_root}", f"article:{article.pk}"
        parts = fragments.plan(self.request, [head, page])
        context = {"fragments": parts}
        if parts.missing():
            load_story(article)
            related_news = article.related_news()
            parts.shows(head, article_head_keys(article))
            body_parts, live = article.body_parts(), live_context(article)
            page_keys = {
                *article_page_keys(article),
                *{f"image:{pk}" for pk in picture_ids(body_parts)},
                *embeds.page_keys(article.body),
                *live_page_keys(live.get("live_updates", [])),
                *cards_keys(related_news),
            }
            parts.shows(page, {*page_keys, freshness.CHROME})
            context.update(body_parts=body_parts, related_news=related_news, **live)
        return super().get_context_data(**context, **kwargs)


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
            allow_frames(response, story_frame_origins(self.object))
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    def get_object(self, queryset=None):
        article = get_object_or_404(Article.objects.for_page_shell(), pk=self.preview_pk)
        load_story(article)
        return article

    def get_context_data(self, **kwargs):
        """Never from or into the cached parts: what a preview shows may not be public."""
        article = self.object
        return DetailView.get_context_data(
            self,
            is_preview=True,
            body_parts=article.body_parts(),
            related_news=article.related_news(),
            **live_context(article),
            **kwargs,
        )


class SearchView(ListView):
    template_name = "articles/search.html"
    context_object_name = "articles"
    paginate_by = 10
    cache_query = {"q": None, "sort": "newest|relevance"}  # and the page number (newsroom/public_cache.py)

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
        freshness.depends_on(self.request, "search", *cards_keys(context["articles"]))
        context["search_capped"] = (
            connection.vendor == "postgresql" and context["paginator"].count >= SEARCH_MAX_MATCHES
        )
        return context


class ArticleListView(ListView):
    """Published articles about one subject (a section, tag or author), newest first, 12 a page."""

    context_object_name = "articles"
    paginate_by = 12
    heading_level = 2  # of the cards' headlines

    def get_subject(self):
        raise NotImplementedError

    def subject_keys(self, subject) -> set[str]:
        """The subject's own keys: its name and the list of its stories."""
        raise NotImplementedError

    def filter_articles(self, articles, subject):
        raise NotImplementedError

    def get_queryset(self):
        self.subject = self.get_subject()
        return self.filter_articles(Article.objects.published(), self.subject).for_cards().newest_first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(subject=self.subject, **kwargs)
        freshness.depends_on(self.request, *self.subject_keys(self.subject))
        context["fragments"], _ = plan_cards(
            self.request, [(a, False, self.heading_level) for a in context["articles"]]
        )
        return context


class SectionView(ArticleListView):
    template_name = "articles/section_detail.html"

    def get_subject(self):
        return get_object_or_404(Section, slug=self.kwargs["slug"])

    def filter_articles(self, articles, section):
        return articles.in_section(section)

    def subject_keys(self, section):
        return {f"section:{section.pk}", f"section-list:{section.pk}"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.subject, **kwargs)


class TagView(ArticleListView):
    template_name = "articles/tag_detail.html"

    def get_subject(self):
        return get_object_or_404(Tag, slug=self.kwargs["slug"])

    def filter_articles(self, articles, tag):
        return articles.tagged(tag)

    def subject_keys(self, tag):
        return {f"tag:{tag.pk}", f"tag-list:{tag.pk}"}


class AuthorView(ArticleListView):
    template_name = "articles/author_detail.html"
    heading_level = ""  # under the page's own h2

    def get_subject(self):
        return get_object_or_404(Author.objects.select_related("photo"), slug=self.kwargs["slug"])

    def filter_articles(self, articles, author):
        return articles.by_author(author)

    def subject_keys(self, author):
        photo = {f"image:{author.photo_id}"} if author.photo_id else set()
        return {f"author:{author.pk}", f"author-list:{author.pk}", *photo}


class SpeakerView(ListView):
    """Everything one person is quoted saying, across published articles, newest first."""

    template_name = "articles/speaker_detail.html"
    context_object_name = "quotes"
    paginate_by = 20

    def get_queryset(self):
        return (
            Quote.objects.filter(published_filter("article__"), speaker_slug=self.kwargs["slug"])
            .select_related("article", "article__section")
            .order_by("-article__published_at", "position", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["quotes"]:
            raise Http404("Nobody by that name is quoted in a published article.")
        context["speaker_name"] = context["quotes"][0].speaker_name
        articles = {quote.article for quote in context["quotes"]}
        freshness.depends_on(self.request, "quotes", *(f"article:{a.pk}" for a in articles))
        freshness.depends_on(self.request, *(f"section:{a.section_id}" for a in articles))
        return context


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
