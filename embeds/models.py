"""A link to another platform's post, video, audio, chart or map, as stored for our pages: what its provider said
about it (oEmbed), a thumbnail copied into our media library, and the player's frame for when a reader asks."""

import hashlib
import re
from urllib.parse import urlsplit

from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.models import Article, published_filter

from .providers import provider_named


def embed_key(url: str) -> str:
    """What a page showing this link depends on (newsroom/freshness.py): raised when the link is resolved."""
    return f"embed:{hashlib.sha256(url.encode()).hexdigest()[:24]}"


def origin(url: str) -> str:
    """The link's origin, or nothing where it is not a plain host[:port] (it goes into a policy header)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "https://[::1/x": a bracket never closed
        return ""
    plain = re.fullmatch(r"[a-z0-9.-]+(:[0-9]{1,5})?", parts.netloc.lower())
    return f"{parts.scheme}://{parts.netloc.lower()}" if parts.scheme in {"http", "https"} and plain else ""


class EmbedQuerySet(models.QuerySet):
    def due(self):
        """Embeds the scheduler fetches now: not resolved, and their next attempt's time has come."""
        return self.exclude(status=Embed.Status.READY).filter(next_attempt_at__lte=timezone.now())

    def shown_to_readers(self):
        """Embeds a public story shows, or an update of a public story's live blog, each with `story_id`: one
        such story, in the same query (a page showing the embed depends on it, and on no other, while it lasts)."""
        in_story = Article.objects.filter(published_filter(), embeds=OuterRef("pk")).values("pk")[:1]
        in_update = Article.objects.filter(published_filter(), live_blog__updates__embeds=OuterRef("pk"))
        story = Coalesce(Subquery(in_story), Subquery(in_update.values("pk")[:1]))
        return self.annotate(story_id=story).filter(story_id__isnull=False)


class Embed(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Being fetched"
        READY = "ready", "Ready"
        FAILED = "failed", "Shown as a link"

    url = models.URLField("link", max_length=1000, unique=True)
    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=10, blank=True, help_text="What the provider called it: video, rich, photo.")
    title = models.CharField(max_length=300, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_url = models.URLField(max_length=1000, blank=True)
    thumbnail = models.ForeignKey(
        "articles.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # The provider's own markup: never on our pages, only inside a sandboxed frame of its own (embeds/views.py).
    html = models.TextField(blank=True, editable=False)
    frame_url = models.URLField(max_length=2000, blank=True, editable=False, help_text="The player's own frame.")
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=300, blank=True, editable=False)
    fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Fetches begun since it was last resolved or staff asked; none is begun after EMBED_FETCH_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        db_index=True,
        help_text="When the scheduler fetches it again; empty: only if someone asks.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The texts whose links it is, kept as they are saved (embeds/body.py), whatever their state: readers get
    # its frame only while one of them is public (`shown_to_readers`).
    articles = models.ManyToManyField("articles.Article", related_name="embeds", blank=True, editable=False)
    live_updates = models.ManyToManyField("live.LiveUpdate", related_name="embeds", blank=True, editable=False)

    objects = EmbedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title or self.url

    @property
    def provider_name(self) -> str:
        provider = provider_named(self.provider)
        return provider.name if provider else urlsplit(self.url).hostname or self.provider

    def frame_origins(self) -> set[str]:
        """The origins a reader's browser loads from once the reader asks for this embed."""
        provider = provider_named(self.provider)
        origins = set(provider.frames) if provider else set()
        if self.frame_url:
            origins.add(origin(self.frame_url))
        if self.provider == "mastodon" or (provider is None and self.html):
            origins.add(origin(self.url))
        return origins - {""}
