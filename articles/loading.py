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

import functools
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from taggit.models import Tag

from . import imaging
from .addresses import slug_url
from .models import (
    RELATED_CANDIDATES,
    Article,
    Author,
    Byline,
    CardByline,
    Correction,
    Figure,
    Image,
    Quote,
    Section,
    TaggedArticle,
    renditions_of,
)


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
    """Give `article` its bylines, tags, figures, quotes and corrections, and its related news
    (`article.related_news()`), in one query."""
    sql, count = _statement(connection.vendor)
    ranked, params = _ranked(article, tags=_STORY_TAGS_SQL, tag_params=[article.pk], limit=Article.RELATED_LIMIT)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql}, {_related_array(connection.vendor).format(ranked=ranked)}", [article.pk] * count + params
        )
        *row, related = cursor.fetchone()
    article.loaded_related_news = [_related_story(values[:-1]) for values in sorted(_rows(related), key=_place)]
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
        return _moment(value)
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


# The article page's row (`load_article`): the article as `for_page_shell()` reads it, its section, lead picture
# and live blog joined, as select_related would. The live blog is a floor above: known here by the relation only.
SHELL_DEFERRED = ("search_vector",)


def _shell_parts() -> list[tuple[models.Field | None, type[models.Model], str, list[models.Field]]]:
    """(the relation from the article, or None for the article itself; its model; its alias; its fields)."""
    live_blog = Article._meta.get_field("live_blog")
    parts = [
        (None, Article, "a", [f for f in Article._meta.concrete_fields if f.name not in SHELL_DEFERRED]),
        (Article._meta.get_field("section"), Section, "s", Section._meta.concrete_fields),
        (Article._meta.get_field("lead_image"), Image, "i", Image._meta.concrete_fields),
        (live_blog, live_blog.related_model, "lb", live_blog.related_model._meta.concrete_fields),
    ]
    return [(relation, model, alias, list(fields)) for relation, model, alias, fields in parts]


_SHELL: dict[str, tuple[str, list, list]] = {}


def _shell_statement() -> tuple[str, list, list]:
    """The SELECT of the article's row by slug, each column's converters (as the ORM applies them), and the
    parts of the row (`_shell_parts`): worked out once per database vendor."""
    vendor = connection.vendor
    if vendor not in _SHELL:
        quote = connection.ops.quote_name
        columns, converters = [], []
        parts = _shell_parts()
        for _, _, alias, fields in parts:
            for field in fields:
                column = field.get_col(alias)
                columns.append(f"{alias}.{quote(field.column)}")
                converters.append(
                    (column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)])
                )
        article, live_blog = Article._meta, Article._meta.get_field("live_blog").related_model._meta
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(article.db_table)} a"  # noqa: S608 (names from the models)
            f" JOIN {quote(Section._meta.db_table)} s ON s.{quote('id')} = a.{quote('section_id')}"
            f" LEFT JOIN {quote(Image._meta.db_table)} i ON i.{quote('id')} = a.{quote('lead_image_id')}"
            f" LEFT JOIN {quote(live_blog.db_table)} lb"
            f" ON lb.{quote(live_blog.get_field('article').column)} = a.{quote('id')}"
            f" WHERE a.{quote('slug')} = %s AND a.{quote('status')} = %s AND a.{quote('published_at')} <= %s"
        )
        _SHELL[vendor] = (sql, converters, parts)
    return _SHELL[vendor]


def load_article(slug: str) -> Article | None:
    """The published article at `slug` as `Article.objects.published().for_page_shell()` gives it (its section,
    lead picture and live blog with it), or None. SQL of our own: the ORM's building of this query and its four
    instances cost the page made from nothing about twice what the database spent on it."""
    sql, converters, parts = _shell_statement()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, Article.Status.PUBLISHED, now])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, functions) in zip(row, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        values.append(value)
    instances, start = [], 0
    for relation, model, _, fields in parts:
        own = values[start : start + len(fields)]
        start += len(fields)
        if own[0] is None:  # no lead picture, no live blog: the pk is NULL
            instances.append((relation, None))
            continue
        instances.append((relation, model.from_db(connection.alias, [f.attname for f in fields], own)))
    (_, article), *joined = instances
    for relation, instance in joined:
        if relation.one_to_one and relation.auto_created:  # the live blog: a relation from it to the article
            relation.set_cached_value(article, instance)
            if instance is not None:
                relation.field.set_cached_value(instance, article)
        else:
            relation.set_cached_value(article, instance)
    return article


def _place(values: list) -> int:
    return values[-1]


@functools.cache
def _related_array(vendor: str) -> str:
    """`_RELATED_ARRAY_SQL` for `vendor`, with `{ranked}` to fill in (worked out once per vendor)."""
    array, aggregate = {"postgresql": ("json_build_array", "json_agg"), "sqlite": ("json_array", "json_group_array")}[
        vendor
    ]
    columns = [*(f"a.{name}" for name in CARD_ARTICLE_FIELDS), *(f"i.{name}" for name in CARD_IMAGE_FIELDS[1:])]
    if vendor == "sqlite":  # JSON kept as text: json() puts it in the array as JSON, not as a string of it
        columns = [f"json({column})" if column == "i.built_widths" else column for column in columns]
    return _RELATED_ARRAY_SQL.format(aggregate=aggregate, array=array, columns=", ".join(columns))


class Card:
    """A published article as its card shows it (`{% article_card %}`, articles/dependencies.py `card_keys`),
    read as plain values rather than as an Article with its section and lead image: the front page makes up
    to 55 cards, and turning each row into three model instances cost more than the query."""

    __slots__ = (
        *("pk", "kicker", "headline", "slug", "standfirst", "published_at"),
        *("section_id", "section", "lead_image_id", "lead_image", "card_bylines"),
    )

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)

    def get_absolute_url(self) -> str:
        return slug_url("articles:detail", self.slug)


def load_cards(ids, sections: dict) -> dict[int, Card]:
    """The cards of the published articles among `ids`, by id, with their lead pictures (one query) and bylines
    in order (a second). `sections` are the site's sections by id (the page has them); one the page has not seen
    yet is read."""
    ids = list(ids)
    if not ids:
        return {}
    listed = ", ".join(["%s"] * len(ids))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_CARDS_SQL.format(ids=listed), [Article.Status.PUBLISHED, now, *ids])
        rows = cursor.fetchall()
        bylines: dict[int, list] = {row[0]: [] for row in rows}
        if bylines:
            # Here rather than as a JSON array in each card's row: PostgreSQL took longer over 55 subqueries.
            cursor.execute(_CARD_BYLINES_SQL.format(ids=", ".join(["%s"] * len(bylines))), list(bylines))
            for article_id, author_id, name, slug in cursor.fetchall():
                bylines[article_id].append(CardByline(author_id, name, slug_url("articles:author", slug)))
    if missing := {row[6] for row in rows} - set(sections):
        sections = {**sections, **Section.objects.in_bulk(missing)}
    cards = {}
    for row in rows:
        values, image = _card_values(row)
        pk, section_id = values.pop("id"), values["section_id"]
        picture = CardPicture(image) if image else None
        cards[pk] = Card(pk=pk, **values, section=sections[section_id], lead_image=picture, card_bylines=bylines[pk])
    return cards


# What a card shows (the columns of `for_cards()`), as `_card_values` reads them: the article's, then its lead
# picture's (NULL without one).
CARD_ARTICLE_FIELDS = ("id", "kicker", "headline", "slug", "standfirst", "published_at", "section_id", "lead_image_id")
CARD_IMAGE_FIELDS = ("id", "file", "width", "height", "built_widths", "alt_text")
CARD_FIELDS_READ = (*CARD_ARTICLE_FIELDS, *CARD_IMAGE_FIELDS[1:])
CARD_COLUMNS = ", ".join(
    [*(f"a.{name}" for name in CARD_ARTICLE_FIELDS), *(f"i.{name}" for name in CARD_IMAGE_FIELDS[1:])]
)


def _card_values(row) -> tuple[dict, dict | None]:
    """A row starting with `CARD_COLUMNS`: the article's values, as the model holds them, and its lead picture's
    (`CARD_IMAGE_FIELDS`), or None."""
    values = dict(zip(CARD_ARTICLE_FIELDS, row, strict=False))
    values["published_at"] = _moment(values["published_at"])
    if values["lead_image_id"] is None:
        return values, None
    image = dict(zip(CARD_IMAGE_FIELDS, [values["lead_image_id"], *row[len(CARD_ARTICLE_FIELDS) :]], strict=False))
    image["built_widths"] = _rows(image["built_widths"])  # JSON, as text or decoded by the driver
    return values, image


class CardPicture:
    """A card's lead picture as `{% picture %}` draws it (its renditions, fallback format and alt text), from the
    card's row: the front page's 55 cards spent longer making an Image of each than drawing it."""

    __slots__ = ("pk", "name", "width", "height", "built_widths", "alt_text")

    def __init__(self, values: dict):
        self.pk, self.name, self.alt_text = values["id"], values["file"], values["alt_text"]
        self.width, self.height, self.built_widths = values["width"], values["height"], values["built_widths"]

    @property
    def fallback_extension(self) -> str:
        return imaging.fallback_extension(self.name)

    def renditions(self, extension: str) -> tuple[imaging.Rendition, ...]:
        return renditions_of(self.pk, self.name, self.width, self.height, self.built_widths, extension)


def from_values(model: type[models.Model], values: dict) -> models.Model:
    """A row read by SQL of our own as the model instance the ORM would make of these columns (the others
    deferred): `from_db` takes them in the order of the model's fields."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _moment(value):
    """A datetime column as the cursor gave it (SQLite: without its time zone, which is UTC), aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


_CARD_BYLINES_SQL = """
SELECT b.article_id, b.author_id, au.name, au.slug
FROM articles_byline b JOIN articles_author au ON au.id = b.author_id
WHERE b.article_id IN ({ids}) ORDER BY b."order", b.id"""  # noqa: S608 (no value in the text)
_CARDS_SQL = f"""
SELECT {CARD_COLUMNS}
FROM articles_article a LEFT JOIN articles_image i ON i.id = a.lead_image_id
WHERE a.status = %s AND a.published_at <= %s AND a.id IN ({{ids}})"""  # noqa: S608 (no value in the text)


# Related news, ranked (`related_stories`). The candidates: the picks, the published articles sharing
# most tags (newest first on a tie), the newest of the article's section and the newest of all (enough of each
# to fill up past any already found). Each is ranked by its pick order, then the tags it shares (an article
# listed twice counts once), the same section first, the newest first. Every part runs on SQLite too.
_RELATED_SHARING_SQL = """
  UNION ALL
    SELECT * FROM (
        SELECT t.content_object_id, CAST(NULL AS INTEGER), COUNT(*)
        FROM articles_taggedarticle t JOIN articles_article a ON a.id = t.content_object_id
        WHERE t.tag_id IN ({tags}) AND a.status = %s AND a.published_at <= %s AND t.content_object_id <> %s
        GROUP BY t.content_object_id
        ORDER BY COUNT(*) DESC, MAX(a.published_at) DESC, t.content_object_id DESC
        LIMIT {candidates}
    ) sharing"""
_RELATED_SQL = """
SELECT c.id, ROW_NUMBER() OVER (ORDER BY {order}) AS place
FROM (
    SELECT to_article_id AS id, "order" AS pick_order, 0 AS shared
    FROM articles_relatedarticle WHERE from_article_id = %s{sharing}
  UNION ALL
    SELECT * FROM (
        SELECT id, CAST(NULL AS INTEGER), 0 FROM articles_article
        WHERE section_id = %s AND status = %s AND published_at <= %s AND id <> %s
        ORDER BY published_at DESC, id DESC LIMIT {fill}
    ) in_section
  UNION ALL
    SELECT * FROM (
        SELECT id, CAST(NULL AS INTEGER), 0 FROM articles_article
        WHERE status = %s AND published_at <= %s AND id <> %s
        ORDER BY published_at DESC, id DESC LIMIT {fill}
    ) newest
) c
JOIN articles_article a ON a.id = c.id
WHERE a.status = %s AND a.published_at <= %s AND a.id <> %s
GROUP BY c.id, a.section_id, a.published_at
ORDER BY {order}
LIMIT {limit}"""
_RELATED_ORDER = """MIN(c.pick_order) IS NULL, MIN(c.pick_order), MAX(c.shared) DESC,
    CASE WHEN a.section_id = %s THEN 1 ELSE 0 END DESC, a.published_at DESC, c.id DESC"""
# The stories ranked, as their cards show them (CARD_FIELDS), in their places.
_RELATED_CARDS_SQL = f"""
SELECT {CARD_COLUMNS}, s.name, s.slug
FROM ({{ranked}}) r
JOIN articles_article a ON a.id = r.id
JOIN articles_section s ON s.id = a.section_id
LEFT JOIN articles_image i ON i.id = a.lead_image_id
ORDER BY r.place"""  # noqa: S608 (no value in the text)


def related_stories(article: Article, *, tag_ids, limit: int) -> list[Article]:
    """`ArticleQuerySet.related_to`: the stories ranked (`_RELATED_SQL`) and read as their cards show them, as
    `for_cards()` would give them, in one query (`_RELATED_CARDS_SQL`). `load_story` reads the same with the story.

    The rows ranked are bounded (the picks, `RELATED_CANDIDATES` of the stories sharing tags, a few of the
    newest), but counting the tags each story shares reads every tagging of the article's tags (an index-only
    scan of `taggedarticle_tag_article`): at 100,000 articles about 900 for four tags. The ranking is SQL of
    our own: built by the ORM (a union, subqueries, annotations) it cost several times its database time in
    Python on every article page made.
    """
    tags = ", ".join(["%s"] * len(tag_ids))
    ranked, params = _ranked(article, tags=tags, tag_params=list(tag_ids), limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(_RELATED_CARDS_SQL.format(ranked=ranked), params)
        return [_related_story(row) for row in cursor.fetchall()]


def _ranked(article: Article, *, tags: str, tag_params: list, limit: int) -> tuple[str, list]:
    """The ranking (`_RELATED_SQL`) of the stories related to `article` and its parameters: `tags` is SQL giving
    the ids of the article's tags (with `tag_params`), or "" when it has none. The limits are written into the
    SQL, not passed: prepared, PostgreSQL keeps one plan for it, where limits it could not see made it plan anew
    on every page."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    published = [Article.Status.PUBLISHED, now]
    params = [article.section_id, article.pk]  # the places' order (same section first), the editors' picks
    sharing = ""
    if tags:
        sharing = _RELATED_SHARING_SQL.format(tags=tags, candidates=RELATED_CANDIDATES)
        params += [*tag_params, *published, article.pk]
    params += [article.section_id, *published, article.pk]
    params += [*published, article.pk]
    params += [*published, article.pk, article.section_id]
    ranked = _RELATED_SQL.format(sharing=sharing, order=_RELATED_ORDER, fill=int(2 * limit), limit=int(limit))
    return ranked, params


def _related_story(row) -> Article:
    """A row of `CARD_FIELDS_READ`, then the section's name and slug: the story as `for_cards()` gives it."""
    values, image = _card_values(row)
    picture = from_values(Image, image) if image else None
    story = from_values(Article, values)
    section_name, section_slug = row[len(CARD_FIELDS_READ) : len(CARD_FIELDS_READ) + 2]
    section = from_values(Section, {"id": values["section_id"], "name": section_name, "slug": section_slug})
    Article.section.field.set_cached_value(story, section)
    Article.lead_image.field.set_cached_value(story, picture)
    return story


# Related news read with the story (`load_story`): the article's tags read by the query itself, and the stories
# ranked folded into a JSON array, each with its place (the array's order is not kept on SQLite).
_STORY_TAGS_SQL = "SELECT st.tag_id FROM articles_taggedarticle st WHERE st.content_object_id = %s"
_RELATED_ARRAY_SQL = """
(SELECT {aggregate}({array}({columns}, s.name, s.slug, r.place))
FROM ({{ranked}}) r
JOIN articles_article a ON a.id = r.id
JOIN articles_section s ON s.id = a.section_id
LEFT JOIN articles_image i ON i.id = a.lead_image_id)"""  # noqa: S608 (no value in the text)
