"""What the article page shows beyond the row, its section and lead image, in one query.

`load_story(article)` reads the story's bylines (with their authors), tags, figures (with their pictures), pull
quotes and corrections in a single SELECT of five correlated subqueries, each folding its rows into a JSON array
(`json_agg` on PostgreSQL, `json_group_array` on SQLite), and hands them to the article as prefetched
collections: `article.bylines.all()`, `article.tags.all()` and the rest then read no more, exactly as after
`prefetch_related_objects`. The SQL is built once per database vendor from the models' own fields.

Why not `prefetch_related`: it costs one query for each collection, and on a page made from nothing (after a
deploy, or a change that invalidates its parts) the ORM's work of building those five queries and their rows
took several times what the database spent answering them (bench/README.md, "made from nothing").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from taggit.models import Tag

from .models import Article, Author, Byline, Correction, Figure, Image, Quote, TaggedArticle


@dataclass(frozen=True)
class Collection:
    """One of the article's collections: `accessor` on the article, the rows of `model` with the row of
    `joined` each points at by `join` (as select_related would), ordered by `order` (columns of `model`)."""

    accessor: str
    model: type[models.Model]
    joined: type[models.Model] | None = None
    join: str = ""
    order: tuple[str, ...] = ()


COLLECTIONS = (
    Collection("bylines", Byline, Author, "author", ("order", "id")),
    Collection("figures", Figure, Image, "image", ("position", "id")),
    Collection("quotes", Quote, order=("position", "id")),
    Collection("corrections", Correction, order=("published_at", "id")),
)
# Tags come through taggit's table of taggings, in the order they were added (as `article.tags.all()` gives).
TAGS = "tags"


def load_story(article: Article) -> None:
    """Give `article` its bylines, tags, figures, quotes and corrections, in one query."""
    sql, count = _statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [article.pk] * count)
        row = cursor.fetchone()
    cache = article.__dict__.setdefault("_prefetched_objects_cache", {})
    for collection, value in zip(COLLECTIONS, row[:-1], strict=True):
        objects = [_instance(collection.model, values, collection.joined) for values in _rows(value)]
        objects.sort(key=lambda obj, order=collection.order: tuple(getattr(obj, name) for name in order))
        relation = collection.model._meta.get_field("article")
        for obj in objects:
            relation.set_cached_value(obj, article)
        _prefetched(article, cache, getattr(article, collection.accessor), objects)
    tagged = sorted(_rows(row[-1]), key=lambda values: values[-1])  # by the tagging's id
    _prefetched(article, cache, article.tags, [_instance(Tag, values[:-1]) for values in tagged])


def _prefetched(article, cache: dict, manager, objects: list) -> None:
    """Keep `objects` as the collection `manager` gives, as prefetch_related_objects does."""
    queryset = manager.get_queryset()  # unevaluated: no query
    queryset._result_cache, queryset._prefetch_done = objects, True
    name = getattr(manager, "prefetch_cache_name", None) or manager.field.remote_field.cache_name
    cache[name] = queryset


def _rows(value) -> list:
    if value is None:  # PostgreSQL's json_agg over no rows
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def _instance(model: type[models.Model], values: list, joined: type[models.Model] | None = None):
    fields = model._meta.concrete_fields
    obj = model.from_db(connection.alias, None, [_value(f, v) for f, v in zip(fields, values, strict=False)])
    if joined is not None:
        other = _instance(joined, values[len(fields) :])
        field = next(f for f in fields if f.is_relation and f.related_model is joined)
        field.set_cached_value(obj, other)
    return obj


def _value(field: models.Field, value):
    """A column's value as JSON carried it, as the model holds it."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value)
        return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment
    if isinstance(field, models.DateField):
        return parse_date(value)
    if isinstance(field, models.BooleanField):
        return bool(value)
    return value


# Fields whose values JSON carries as they are (or as above); any other kind must be taught to `_value` first.
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.FileField,
    models.ForeignKey,
    models.JSONField,
    models.DateTimeField,
    models.DateField,
    models.BooleanField,
)


def _columns(model: type[models.Model], alias: str, vendor: str) -> list[str]:
    quote = connection.ops.quote_name
    columns = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, PLAIN_FIELDS):
            raise TypeError(f"articles/loading.py cannot carry {model.__name__}.{field.name} ({type(field).__name__})")
        column = f"{alias}.{quote(field.column)}"
        # SQLite keeps JSON as text: json() puts it in the array as JSON, not as a string of it.
        columns.append(f"json({column})" if vendor == "sqlite" and isinstance(field, models.JSONField) else column)
    return columns


_STATEMENTS: dict[str, tuple[str, int]] = {}


def _statement(vendor: str) -> tuple[str, int]:
    """The SELECT for `vendor` and how many times it takes the article's id."""
    if vendor not in _STATEMENTS:
        array, aggregate = {
            "postgresql": ("json_build_array", "json_agg"),
            "sqlite": ("json_array", "json_group_array"),
        }[vendor]
        quote = connection.ops.quote_name
        subqueries = []
        for collection in COLLECTIONS:
            table = quote(collection.model._meta.db_table)
            article = quote(collection.model._meta.get_field("article").column)
            values = _columns(collection.model, "c", vendor)
            source = f"{table} c"
            if collection.joined is not None:
                join = quote(collection.model._meta.get_field(collection.join).column)
                values += _columns(collection.joined, "j", vendor)
                source += f" JOIN {quote(collection.joined._meta.db_table)} j ON j.{quote('id')} = c.{join}"
            subqueries.append(  # names from the models' own metadata, quoted; the id a parameter
                f"(SELECT {aggregate}({array}({', '.join(values)})) FROM {source} WHERE c.{article} = %s)"  # noqa: S608
            )
        tagging = TaggedArticle._meta
        values = [*_columns(Tag, "c", vendor), f"t.{quote('id')}"]
        subqueries.append(
            f"(SELECT {aggregate}({array}({', '.join(values)})) FROM {quote(Tag._meta.db_table)} c"  # noqa: S608
            f" JOIN {quote(tagging.db_table)} t ON t.{quote(tagging.get_field('tag').column)} = c.{quote('id')}"
            f" WHERE t.{quote(tagging.get_field('content_object').column)} = %s)"
        )
        _STATEMENTS[vendor] = ("SELECT " + ", ".join(subqueries), len(subqueries))
    return _STATEMENTS[vendor]
