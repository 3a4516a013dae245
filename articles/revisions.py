"""An old version of an article beside the article as it is now, for the editor deciding whether to restore it."""

from dataclasses import dataclass

from django.utils.html import strip_tags
from reversion.models import Version

from .models import Article, Author, Byline, Figure, Quote, Section, TaggedArticle


@dataclass(frozen=True)
class Row:
    label: str
    then: str
    now: str

    @property
    def changed(self) -> bool:
        return self.then != self.now


def _text(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


def _children(version: Version, model, parent: str = "article_id") -> list[dict]:
    """The field values of the rows of `model` that the version's revision kept (bylines, quotes, tags…)."""
    return [
        other.field_dict
        for other in version.revision.version_set.select_related("content_type")
        if other.content_type.model_class() is model and str(other.field_dict.get(parent)) == version.object_id
    ]


def version_comparison(version: Version, article: Article) -> list[Row]:
    """What restoring `version` would change: each field then and now (plain text; the page escapes it)."""
    then = version.field_dict
    tag_ids = [row["tag_id"] for row in _children(version, TaggedArticle, parent="content_object_id")]
    names = {
        section.pk: section.name
        for section in Section.objects.filter(pk__in=[then.get("section_id"), article.section_id])
    }
    old_bylines = sorted(_children(version, Byline), key=lambda row: row["order"])
    authors = Author.objects.in_bulk([row["author_id"] for row in old_bylines])
    return [
        Row("Kicker", then.get("kicker", ""), article.kicker),
        Row("Headline", then.get("headline", ""), article.headline),
        Row("Address", then.get("slug", ""), article.slug),
        Row("Standfirst", then.get("standfirst", ""), article.standfirst),
        Row("Body", _text(then.get("body", "")), _text(article.body)),
        Row("Section", names.get(then.get("section_id"), "—"), names.get(article.section_id, "—")),
        Row(
            "Tags",
            ", ".join(sorted(TaggedArticle.tag_model().objects.filter(pk__in=tag_ids).values_list("name", flat=True))),
            ", ".join(sorted(article.tags.names())),
        ),
        Row(
            "Bylines",
            ", ".join(authors[row["author_id"]].name for row in old_bylines if row["author_id"] in authors),
            ", ".join(byline.author.name for byline in article.bylines.select_related("author")),
        ),
        Row(
            "Quotes",
            " / ".join(row["text"] for row in sorted(_children(version, Quote), key=lambda row: row["position"])),
            " / ".join(article.quotes.order_by("position").values_list("text", flat=True)),
        ),
        Row(
            "Pictures in the text",
            str(len(_children(version, Figure))),
            str(article.figures.count()),
        ),
    ]
