import functools
from datetime import timedelta
from typing import NamedTuple

import reversion
from django.apps import apps
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.images import get_image_dimensions
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django_prose_editor.fields import ProseEditorField, ProseEditorFormField
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from newsroom.text import validate_one_line

from . import imaging
from .addresses import slug_url
from .blocks import story_blocks, with_pictures
from .nesting import validate_rich_text
from .rendering import interleave_body
from .sanitize import BODY_EXTENSIONS, STORY_EXTENSIONS, sanitize_body, sanitize_story
from .tagging import speaker_slug


class Section(models.Model):
    name = models.CharField(max_length=80, unique=True, validators=[validate_one_line])
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences shown on the section page.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first in the navigation.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url("articles:section", self.slug)


def _shown_on(articles) -> Q:
    """An image shown by any of these articles (lead image, figure, or a picture or gallery placed in its text or in
    one of its live updates) or as an author's photo: a condition on the images, for filter() or exclude()."""
    placed = Concat(Value('<figure data-image="'), Cast(OuterRef("pk"), models.CharField()), Value('"'))
    return (
        Exists(articles.filter(lead_image=OuterRef("pk")))
        | Exists(articles.filter(figures__image=OuterRef("pk")))
        | Exists(articles.filter(body__contains=placed))
        | Exists(articles.filter(live_blog__updates__body__contains=placed))
        | Exists(Author.objects.filter(photo=OuterRef("pk")))
    )


def _shown_to_readers() -> Q:
    return _shown_on(Article.objects.filter(status=Article.Status.PUBLISHED))  # scheduled ones too


class ImageQuerySet(models.QuerySet):
    def in_use(self):
        """Images readers see: on a published or scheduled article, or an author's photo."""
        return self.filter(_shown_to_readers())

    def unused(self):
        """Images nothing shows or is about to: on no article in any state, and no author's photo."""
        return self.exclude(_shown_on(Article.objects.all()))

    def for_stories(self):
        """The pictures a story may show: not the thumbnails copied for embeds, which are the providers' to show on
        their facades only (and are replaced when the embed is fetched again)."""
        Embed = apps.get_model("embeds", "Embed")
        return self.exclude(Exists(Embed.objects.filter(thumbnail=OuterRef("pk"))))

    def editable_by(self, user):
        """Editors change every image; others only their own uploads, and only while readers cannot see them."""
        if user.has_perm("articles.publish_article"):
            return self
        return self.filter(uploaded_by=user).exclude(_shown_to_readers())


class Image(models.Model):
    """A media-library entry: one uploaded picture, reusable across articles."""

    file = models.ImageField(
        upload_to="images/%Y/%m/",
        help_text="A new file replaces the picture everywhere it is used. Once it is on a published or scheduled "
        "article, or is an author's photo, only editors can change it.",
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    # The widths whose renditions a worker has stored for this file (articles/tasks.py); until then pages
    # show the nearest there is, or the original.
    built_widths = models.JSONField(editable=False, default=list)
    alt_text = models.CharField(
        max_length=250,
        help_text="Describe what the picture shows for readers who cannot see it "
        "(e.g. 'Two mayors shaking hands outside the town hall').",
    )
    caption = models.CharField(max_length=300, blank=True, help_text="Default caption; an article can give its own.")
    credit = models.CharField(max_length=120, blank=True, help_text="Photographer or agency, e.g. 'Jane Doe/Courier'.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.alt_text[:80] or self.file.name

    def save(self, *args, **kwargs):
        if self.file and (not self.file._committed or not self.width):  # a new upload: measure it once
            self.width, self.height = get_image_dimensions(self.file)
            self.built_widths = []  # its renditions are still to be made
        super().save(*args, **kwargs)

    @cached_property
    def fallback_extension(self) -> str:
        return imaging.fallback_extension(self.file.name)

    @property
    def renditions_missing(self) -> bool:
        return bool(self.file) and self.built_widths != imaging.rendition_widths(self.width)

    def renditions(self, extension: str) -> tuple[imaging.Rendition, ...]:
        """The resized copies a worker has made (no query, no storage request). Before any exist, the stored
        original stands in for the fallback format, so a page never points at a file that is not there."""
        return renditions_of(self.pk, self.file.name or "", self.width, self.height, self.built_widths, extension)


def renditions_of(pk, name: str, width, height, built_widths, extension: str) -> tuple[imaging.Rendition, ...]:
    """`Image.renditions` of the image with these values (articles/loading.py `CardPicture` has no Image)."""
    if not name or not width or not height:
        return ()
    return _renditions(pk, name, width, height, extension, tuple(sorted(built_widths)))


@functools.lru_cache(maxsize=4096)
def _renditions(
    pk: int, name: str, width: int, height: int, extension: str, built: tuple[int, ...]
) -> tuple[imaging.Rendition, ...]:
    """Rendition URLs and sizes follow from these values alone: worked out once per process."""
    if not built:
        if extension != imaging.fallback_extension(name):
            return ()
        return (imaging.Rendition(url=default_storage.url(name), width=width, height=height),)
    return tuple(
        imaging.Rendition(
            url=default_storage.url(imaging.rendition_name(pk, name, target, extension)),
            width=target,
            height=imaging.rendition_size(width, height, target)[1],
        )
        for target in imaging.rendition_widths(width)
        if target in built
    )


class Author(models.Model):
    name = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(max_length=120, unique=True)
    job_title = models.CharField(
        max_length=120,
        blank=True,
        validators=[validate_one_line],
        help_text="Shown in the byline, e.g. 'Business reporter'.",
    )
    bio = models.TextField(blank=True, help_text="A short paragraph about the author.")
    photo = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text="The staff account of this author, if they have one.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.job_title})" if self.job_title else self.name

    def get_absolute_url(self):
        return slug_url("articles:author", self.slug)


class BodyFormField(ProseEditorFormField):
    """A refused form shows the body again sanitised, as it would be saved: every word typed, and no markup the
    editor would have to parse (its parser would report the handlers a paste brought as blocked by the CSP).
    Text too long or too deeply nested is refused before it is sanitised (articles/nesting.py)."""

    default_validators = [validate_rich_text]

    def bound_data(self, data, initial):
        return self.sanitize(data) if isinstance(data, str) else data


class BodyField(ProseEditorField):
    """Rich text stored as sanitised HTML whatever writes it: forms, save(), bulk and raw (fixture) writes.

    ``story=True`` offers the story blocks too (pictures, galleries, tables, fact boxes: articles/sanitize.py)."""

    default_validators = [validate_rich_text]

    def __init__(self, *args, story=False, **kwargs):
        self.story = story
        self.sanitize_html = sanitize_story if story else sanitize_body
        extensions = STORY_EXTENSIONS if story else BODY_EXTENSIONS
        super().__init__(*args, extensions=extensions, sanitize=self.sanitize_html, **kwargs)

    def formfield(self, **kwargs):
        field = super().formfield(**{"form_class": BodyFormField, "sanitize": self.sanitize_html, **kwargs})
        if self.story:  # the providers whose links become embeds, as the settings have them now
            from embeds.providers import editor_table

            extensions = {**field.widget.config["extensions"], "EmbedLinks": {"providers": editor_table()}}
            field.widget.config = {**field.widget.config, "extensions": extensions}
        return field

    def get_db_prep_save(self, value, connection):
        if isinstance(value, str):
            value = self.sanitize_html(value)
        return super().get_db_prep_save(value, connection)


def rich_text_names(model) -> list[str]:
    """The columns of the model's rich texts."""
    return [field.attname for field in model._meta.concrete_fields if isinstance(field, BodyField)]


def validate_rich_texts(instance, *, stored: dict | None = None) -> None:
    """The instance's rich texts within the limits (articles/nesting.py): for services that save without a form.

    `stored` is the instance's row as saved (with its `rich_text_names`): a text the save leaves as it is is not
    checked, so a story stored before the limits can still be published, unpublished or corrected elsewhere."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, BodyField):
            if stored is not None and stored.get(field.attname) == getattr(instance, field.attname):
                continue
            try:
                validate_rich_text(getattr(instance, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
    if errors:
        raise ValidationError(errors)


SEARCH_CONFIG = "english"
SEARCH_MAX_MATCHES = 200
RELATED_CANDIDATES = 50


KEY_POINTS_MAX = 6
KEY_POINT_LENGTH = 250


def key_points_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def validate_key_points(text: str) -> None:
    points = key_points_of(text)
    if len(points) > KEY_POINTS_MAX:
        raise ValidationError(
            "%(count)d key points: keep it to %(limit)d, one a line.",
            code="too_many_key_points",
            params={"count": len(points), "limit": KEY_POINTS_MAX},
        )
    for number, point in enumerate(points, start=1):
        if len(point) > KEY_POINT_LENGTH:
            raise ValidationError(
                "Key point %(number)d is %(length)d characters long; each may have %(limit)d.",
                code="key_point_too_long",
                params={"number": number, "length": len(point), "limit": KEY_POINT_LENGTH},
            )


def published_filter(prefix: str = "") -> Q:
    """The one definition of what readers may see: published, and its time has come."""
    return Q(**{f"{prefix}status": Article.Status.PUBLISHED, f"{prefix}published_at__lte": timezone.now()})


# What an article card shows (templates/includes/article_card.html, articles/templatetags/articles_tags.py
# `card_context`), with its section and lead image.
CARD_FIELDS = (
    *("kicker", "headline", "slug", "standfirst", "published_at", "section_id", "lead_image_id"),
    *("section__name", "section__slug"),
    *(f"lead_image__{name}" for name in ("file", "width", "height", "built_widths", "alt_text")),
)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_filter())

    def scheduled(self):
        """Published, with a time still to come: readers see it then."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())

    def been_public(self):
        """Articles readers have seen: their first publication time has come (they may be off the site since)."""
        return self.filter(first_published_at__lte=timezone.now())

    def by(self, user):
        """Articles the user started or has a byline on."""
        return self.filter(Q(created_by=user) | Q(bylines__author__user=user)).distinct()

    def editable_by(self, user):
        """Editors edit everything; others only their own articles, and only while unpublished."""
        if user.has_perm("articles.publish_article"):
            return self
        return self.by(user).exclude(status=Article.Status.PUBLISHED)

    def search(self, text: str, *, order: str = "relevance"):
        """Published articles matching the words: ranked full-text search on PostgreSQL (headline first,
        then standfirst and tags, then body; stemmed), a case-insensitive match elsewhere."""
        if connection.vendor == "postgresql":
            # Ranked among the newest SEARCH_MAX_MATCHES matches: a word in most stories costs no more than
            # a rare one, and nobody pages past twenty pages of results.
            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            # Sorted by an expression, not the bare column: otherwise PostgreSQL may walk the date index
            # and unpack every article's search vector to test it; the GIN index finds the matches at once.
            by_date = models.ExpressionWrapper(F("published_at") + timedelta(0), output_field=models.DateTimeField())
            newest = self.filter(search_vector=query).order_by(by_date.desc(), "-id").values("pk")
            found = Article.objects.filter(pk__in=newest[:SEARCH_MAX_MATCHES])
            found = found.annotate(rank=SearchRank(F("search_vector"), query))
            return found.order_by("-rank", "-published_at", "-id") if order == "relevance" else found.newest_first()
        found = self
        for word in text.split()[:12]:
            found = found.filter(
                Q(headline__icontains=word)
                | Q(standfirst__icontains=word)
                | Q(body__icontains=word)
                | Q(tagged_items__tag__name__iexact=word)
            )
        found = found.distinct()
        if order != "relevance":
            return found.newest_first()
        first_word = text.split()[0] if text.split() else ""
        in_headline = models.Case(
            models.When(headline__icontains=first_word, then=1), default=0, output_field=models.IntegerField()
        )
        return found.annotate(rank=in_headline).order_by("-rank", "-published_at", "-id")

    def latest_per_section(self, per_section: int, *, exclude_ids=()):
        """The newest few published articles of each section, in one query. PostgreSQL reads each section's
        newest from the date index (a LATERAL join), so the cost does not grow with the archive; elsewhere
        a window function numbers them."""
        if connection.vendor == "postgresql":
            article, section = Article._meta.db_table, Section._meta.db_table
            newest = RawSQL(  # noqa: S611 (values are parameters)
                f"SELECT a.id FROM {section} s CROSS JOIN LATERAL ("  # noqa: S608 (table names from the models)
                f"SELECT id FROM {article} WHERE section_id = s.id AND status = %s AND published_at <= %s "
                "AND NOT (id = ANY(%s)) ORDER BY published_at DESC, id DESC LIMIT %s) a",
                [Article.Status.PUBLISHED, timezone.now(), list(exclude_ids), per_section],
            )
            chosen = self.filter(pk__in=newest)
        else:
            numbered = (
                self.published()
                .exclude(pk__in=list(exclude_ids))
                .annotate(
                    rank_in_section=Window(
                        RowNumber(), partition_by=F("section_id"), order_by=[F("published_at").desc(), F("id").desc()]
                    )
                )
            )
            chosen = numbered.filter(rank_in_section__lte=per_section)
        return chosen.order_by("section__order", "section__name", "-published_at", "-id")

    def tagged(self, tag):
        return self.filter(tagged_items__tag=tag)

    def by_author(self, author):
        return self.filter(bylines__author=author)

    def in_section(self, section):
        return self.filter(section=section)

    def newest_first(self):
        return self.order_by("-published_at", "-id")

    def front_page_order(self):
        """Editors' top stories first (newest first), then everything else by date."""
        return self.order_by("-top_story", "-published_at", "-id")

    def _card_relations(self):
        return self.select_related("section", "lead_image").prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )

    def for_list(self):
        """What article cards need: section, lead image and bylines; not the body or the search index."""
        return self._card_relations().defer("body", "search_vector")

    def for_cards(self):
        """Cards that may be cached (articles/views.py `plan_cards`): section and lead image in the one query;
        bylines are loaded afterwards for the cards that must be made. Only the columns a card shows (and its
        keys, articles/dependencies.py `card_keys`) are read: a page of cards spent milliseconds turning the
        rest, several dates among them, into Python values nobody looked at."""
        return self.select_related("section", "lead_image").only(*CARD_FIELDS)

    def for_page_shell(self):
        """The article and what its page shows around its cached parts: its section and lead image, one query;
        `articles.loading.load_story` adds the rest, in one more query, when a part must be made."""
        return self.select_related("section", "lead_image", "live_blog").defer("search_vector")

    def related_to(self, article, *, tag_ids, limit):
        """Editors' picks in their order, then the articles sharing most tags (same section first on a tie),
        then the newest of the same section, then the newest of all: published articles with their cards'
        columns, section and lead image, in one query (articles/loading.py `related_stories`)."""
        from .loading import related_stories  # it builds on this module's models

        return related_stories(article, tag_ids=tag_ids, limit=limit)


class CardByline(NamedTuple):
    """A byline as an article's card shows it."""

    author_id: int
    name: str
    url: str


def load_card_bylines(articles) -> None:
    """Each article's bylines as its card shows them, in order, as `article.card_bylines`: one query of plain
    values, a fraction of the cost of prefetching the bylines and their authors as model instances."""
    by_article: dict[int, list[CardByline]] = {article.pk: [] for article in articles}
    if by_article:
        rows = (
            Byline.objects.filter(article_id__in=list(by_article))
            .order_by("order", "id")
            .values_list("article_id", "author_id", "author__name", "author__slug")
        )
        urls: dict[str, str] = {}  # an author writes many of the stories
        for article_id, author_id, name, slug in rows:
            if (url := urls.get(slug)) is None:
                url = urls[slug] = slug_url("articles:author", slug)
            by_article[article_id].append(CardByline(author_id, name, url))
    for article in articles:
        article.card_bylines = by_article[article.pk]


def card_prefetches():
    """What an article card shows beyond the row, its section and lead image: its bylines, one query."""
    return (models.Prefetch("bylines", queryset=Byline.objects.select_related("author")),)


class TaggedArticle(TaggedItemBase):
    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="tagged_items")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag")]
        # Related news counts the stories sharing each tag from this index alone (loading.py `related_stories`): read
        # from the table, a popular tag's taggings cost a page two milliseconds more at 100,000 articles.
        indexes = [models.Index(fields=["tag", "content_object"], name="taggedarticle_tag_article")]


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"

    RELATED_LIMIT = 4

    kicker = models.CharField(
        max_length=60,
        blank=True,
        validators=[validate_one_line],
        help_text="Optional label above the headline, e.g. 'Exclusive' or 'Analysis'.",
    )
    headline = models.CharField(
        max_length=200, validators=[validate_one_line], help_text="Aim for 60–90 characters; say what happened."
    )
    slug = models.SlugField(
        max_length=200, unique=True, help_text="The article's web address; filled in from the headline."
    )
    standfirst = models.CharField(
        max_length=400, help_text="The one- or two-sentence summary under the headline (up to 400 characters)."
    )
    key_points = models.TextField(
        "key points",
        blank=True,
        validators=[validate_key_points],
        help_text=f"Optional: the story in a few points, one a line, shown as a list at the top (at most "
        f"{KEY_POINTS_MAX}, each up to {KEY_POINT_LENGTH} characters).",
    )
    body = BodyField(blank=True, story=True)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)
    lead_image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lead_image_caption = models.CharField(
        max_length=300, blank=True, help_text="Leave empty to use the image's own caption."
    )
    lead_image_credit = models.CharField(
        max_length=120, blank=True, help_text="Leave empty to use the image's own credit."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When readers can first see it. A future time schedules it; empty means now, on publishing.",
    )
    embargo_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Nobody, editors included, can publish or schedule this article before this time. Saving can "
        "set it or move it later; to clear it or bring it forward, an editor uses “Save and lift embargo”, "
        "which the log records.",
    )
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the pages that list it were told it is out; empty while it is scheduled or unpublished.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised by every save, so two people's saves cannot overwrite each other."
    )
    search_vector = SearchVectorField(null=True, editable=False)
    top_story = models.BooleanField(
        "top story",
        default=False,
        help_text="Editors' choice for the home page: top stories lead it, newest first, before the latest news.",
    )
    meta_description = models.CharField(
        max_length=300,
        blank=True,
        help_text="For search engines and sharing; about 155 characters. Empty means the standfirst.",
    )
    related = models.ManyToManyField(
        "self", through="RelatedArticle", through_fields=("from_article", "to_article"), symmetrical=False, blank=True
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_published_idx"),
            models.Index(fields=["section", "status", "-published_at"], name="article_section_idx"),
            models.Index(fields=["status", "-top_story", "-published_at"], name="article_front_page_idx"),
            # Whether an article is public, by id, without reading the row: related news checks hundreds.
            models.Index(fields=["id"], include=["status", "published_at"], name="article_visibility_idx"),
            # Scheduled stories not yet out (and any whose time came while its save was uncommitted).
            models.Index(
                fields=["published_at"],
                condition=Q(status="published", released_at__isnull=True),
                name="article_unreleased_idx",
            ),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.body = sanitize_story(self.body or "")  # what is in memory matches what is stored
        if self.status == self.Status.PUBLISHED:
            now = timezone.now()
            if self.published_at is None:
                self.published_at = now
            if self.first_published_at is None or self.first_published_at > now:
                # When readers could first see it: a backdated story went out now, not in the past.
                self.first_published_at = max(self.published_at, now)
        if not self.is_live:
            self.released_at = None  # the release of due stories tells the pages that list it, when it comes
        elif self.released_at is None:
            self.released_at = timezone.now()  # this save tells them itself
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("articles:detail", self.slug)

    def clean(self):
        if problem := self.embargo_problem():
            raise ValidationError({"published_at": problem})

    def embargo_problem(self, at=None) -> str:
        """Why publishing at `at` (default: this article's publication time) would break its embargo."""
        if self.status != self.Status.PUBLISHED or not self.embargo_until:
            return ""
        at = at or self.published_at or timezone.now()
        if at >= self.embargo_until:
            return ""
        when = timezone.localtime(self.embargo_until).strftime("%d %B %Y, %H:%M")
        return f"This article is embargoed until {when}: publish or schedule it for that time or later."

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def has_been_public(self) -> bool:
        """Readers have seen it, so what it told them is on the record (see Correction)."""
        return self.first_published_at is not None and self.first_published_at <= timezone.now()

    @property
    def deleting_takes_an_editor(self) -> bool:
        """One that is or has been public (or is due to go out) is deleted only by an editor, with a record."""
        return self.status == self.Status.PUBLISHED or self.has_been_public

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def last_updated_at(self):
        """When it last changed: the latest save or correction."""
        corrections = [c.published_at for c in self.corrections.all()]
        return max([self.updated_at, *corrections]) if self.updated_at else None

    @property
    def is_updated(self) -> bool:
        """Corrected, or changed after readers could first see it (by more than a minute: not the publishing save)."""
        went_out = self.first_published_at or self.published_at
        if not went_out or not self.updated_at:
            return False
        return bool(self.corrections.all()) or (self.updated_at - went_out).total_seconds() > 60

    @property
    def lead_caption(self) -> str:
        return self.lead_image_caption or (self.lead_image.caption if self.lead_image else "")

    @property
    def key_points_list(self) -> list[str]:
        return key_points_of(self.key_points)

    @property
    def lead_credit(self) -> str:
        return self.lead_image_credit or (self.lead_image.credit if self.lead_image else "")

    @property
    def description(self) -> str:
        return self.meta_description or self.standfirst

    def body_parts(self):
        """The story as readers see it, block by block: its text, the story blocks, the figures and quotes placed
        after a paragraph, and its embeds (a query for its pictures and one for its embeds, if it has any)."""
        from embeds.body import with_embeds

        parts = story_blocks(interleave_body(self.body, figures=self.figures.all(), quotes=self.quotes.all()))
        return with_embeds(*with_pictures(parts))[0]

    def related_news(self) -> list["Article"]:
        """Editors' picks in their order, filled up to four by the most related stories (read with the story by
        `articles.loading.load_story`, or else now)."""
        if (loaded := getattr(self, "loaded_related_news", None)) is not None:
            return loaded
        return Article.objects.published().related_to(
            self, tag_ids=[tag.pk for tag in self.tags.all()], limit=self.RELATED_LIMIT
        )


class PublicRecordError(Exception):
    """A correction readers may have read is never changed or removed; a wrong one is corrected by a new one."""


class Correction(models.Model):
    """A dated note saying what a published article got wrong and what was changed.

    Once the article has been public its corrections are append-only: new ones are added, none is changed or
    deleted (deleting the whole article still removes them).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    text = models.TextField(
        max_length=1000,
        help_text="What was wrong and what is right now, e.g. 'An earlier version gave the cost as £4m.'",
    )
    published_at = models.DateTimeField(default=timezone.now, help_text="Shown with the correction.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["published_at", "id"]

    def __str__(self):
        return f"Correction of {self.published_at:%d %b %Y}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                Correction.objects.filter(pk=self.pk, article__in=Article.objects.been_public())
                .values("article_id", "text", "published_at")
                .first()
            )
            if stored and stored != {
                "article_id": self.article_id,
                "text": self.text,
                "published_at": self.published_at,
            }:
                raise PublicRecordError("A published correction cannot be changed; add a new correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Article.objects.been_public().filter(pk=self.article_id).exists():
            raise PublicRecordError("A published correction cannot be deleted; add a new correction instead.")
        return super().delete(*args, **kwargs)


class OldSlug(models.Model):
    """An address a published article had before its slug changed; it redirects to the article for good."""

    slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.slug


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "author"], name="unique_byline")]

    def __str__(self):
        return str(self.author)


class BodyInsert(models.Model):
    """Something placed between the body's paragraphs: a figure or a pull quote."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="%(class)ss")
    position = models.PositiveSmallIntegerField(
        default=1, help_text="Shown after this paragraph of the body (0 = before the first)."
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Figure(BodyInsert):
    """A picture inside the body, after a given paragraph."""

    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="figures")
    caption = models.CharField(max_length=300, blank=True, help_text="Leave empty to use the image's own caption.")
    credit = models.CharField(max_length=120, blank=True, help_text="Leave empty to use the image's own credit.")

    class Meta(BodyInsert.Meta):
        pass

    def __str__(self):
        return f"Figure after paragraph {self.position}"

    @property
    def display_caption(self) -> str:
        return self.caption or self.image.caption

    @property
    def display_credit(self) -> str:
        return self.credit or self.image.credit


class Quote(BodyInsert):
    """A pull quote: the words, who said them and in what role, and where it stands."""

    text = models.TextField(max_length=600, help_text="The quoted words, without quotation marks.")
    speaker_name = models.CharField(max_length=120, db_index=True)
    speaker_slug = models.SlugField(max_length=120, editable=False, db_index=True, default="")
    speaker_role = models.CharField(max_length=160, blank=True, help_text="e.g. 'Mayor of Kingsmere'.")

    class Meta(BodyInsert.Meta):
        pass

    def __str__(self):
        return f"“{self.text[:60]}” — {self.speaker_name}"

    def save(self, *args, **kwargs):
        self.speaker_slug = speaker_slug(self.speaker_name)
        super().save(*args, **kwargs)

    def get_speaker_url(self):
        return reverse("articles:speaker", kwargs={"slug": self.speaker_slug})


class RelatedArticle(models.Model):
    from_article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    to_article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", verbose_name="related article")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "related article"
        constraints = [
            models.UniqueConstraint(fields=["from_article", "to_article"], name="unique_related_article"),
            models.CheckConstraint(condition=~Q(from_article=models.F("to_article")), name="related_not_self"),
        ]

    def __str__(self):
        return str(self.to_article)

    def clean(self):
        if self.from_article_id and self.from_article_id == self.to_article_id:
            raise ValidationError({"to_article": "An article cannot be related to itself."})


# Revisions: an article is kept with everything edited in its form, so a restore brings all of it back.
# The version number is left out: restoring is a new save, never a step back in the count.
for _child in (Byline, Figure, Quote, RelatedArticle, Correction, TaggedArticle):
    reversion.register(_child)
reversion.register(
    Article,
    exclude=["version"],
    # Corrections are a public record: restoring an old version never removes one.
    follow=["bylines", "figures", "quotes", "related_links", "tagged_items"],
)
