from django.core.exceptions import ValidationError
from django.db import models
from django.urls import resolve, reverse
from django.utils.safestring import mark_safe

from articles.models import BodyField
from articles.sanitize import sanitize_body
from newsroom.text import validate_one_line

# Addresses served outside the URL patterns (static files, the health check) that a page must not take.
RESERVED_SLUGS = {"static", "media", "healthz"}


class PageQuerySet(models.QuerySet):
    def in_footer(self):
        return self.filter(in_footer=True).only("title", "slug")


class Page(models.Model):
    """A standing page of the site, such as About us or Contact, edited in the back office."""

    title = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text="The page's address: /about/ for 'about'. Cannot be one the site already uses.",
    )
    body = BodyField(blank=True)
    description = models.CharField(
        max_length=300, blank=True, help_text="For search engines and sharing; about 155 characters."
    )
    in_footer = models.BooleanField("link in the footer", default=True)
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first in the footer.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("pages:detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.slug and (self.slug in RESERVED_SLUGS or resolve(f"/{self.slug}/").view_name != "pages:detail"):
            raise ValidationError({"slug": f"/{self.slug}/ is already part of the site. Choose another address."})

    @property
    def safe_body(self) -> str:
        return mark_safe(sanitize_body(self.body))  # sanitised with the editor's allow-list
