"""Realistic benchmark data, written with PostgreSQL's COPY (never one save per row).

Articles: 12 sections, 1–3 authors, 3–6 tags of 2,000, a lead image, 2 figures, 2 quotes and 3 related
picks each, bodies of eight paragraphs, spread over five years; the search index filled in SQL exactly as
`articles.search.index_articles` fills it. Subscriptions: one each for a million readers, most active.
Each call adds to what is there, so a run can measure at 1,000, then 10,000, then 100,000 articles.
"""

import itertools
import random
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, models
from django.utils import timezone
from django.utils.text import slugify

from articles import imaging
from articles.models import (
    SEARCH_CONFIG,
    Article,
    Author,
    Byline,
    Figure,
    Image,
    Quote,
    RelatedArticle,
    Section,
    TaggedArticle,
)
from newsletter.models import Newsletter, Subscriber, Subscription

SECTIONS = 12
AUTHORS = 60
TAGS = 2000
IMAGES = 400
SPEAKERS = 3000
CONSENT = "Send me this newsletter by email. I can unsubscribe with one click in any issue."

# Real words (so stemming and ranking have something to do) and made-up place and family names.
WORDS = (
    "council plan homes river bridge flood school hospital road traffic market shop jobs business farm "
    "festival music theatre police court crime fire station train bus ferry harbour fishing weather storm "
    "election mayor budget tax rent housing planning park library church museum history football cricket "
    "rugby team match season coach player club result win loss draw report inquiry evidence witness judge "
    "water supply energy wind solar power cost price rise fall year month week today residents families "
    "children teachers nurses doctors workers union strike talks deal agreement funding grant charity "
    "volunteers community village town city county county-wide new old first last major minor local "
    "national warns says calls opens closes reopens approves rejects delays launches celebrates marks "
    "repairs builds expands cuts saves spends raises falls grows"
).split()
SYLLABLES = "ka ri mo sen tal wen dor bry lin ash ford ham ton ley wick mere by thorpe cot stead".split()
VOCABULARY_SIZE = 30_000


def vocabulary() -> tuple[list[str], list[float]]:
    """The common words, then made-up ones (names, places, jargon), drawn with Zipf's law as real text
    is: a handful of words in most stories, most words in a few. Returns the words and cumulative weights."""
    rng = random.Random(7)
    made_up = set()
    while len(made_up) < VOCABULARY_SIZE - len(WORDS):
        made_up.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    words = WORDS + sorted(made_up, key=lambda w: (rng.random(), w))
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank
        cumulative.append(total)
    return words, cumulative


_WORDS, _CUMULATIVE = vocabulary()


def search_terms(count: int) -> list[str]:
    """What readers type: one or two words of middling frequency (ranks 20 to 3,000), URL-encoded."""
    rng = random.Random(11)
    terms = []
    for _ in range(count):
        words = [_WORDS[rng.randint(20, 3000)] for _ in range(rng.choice((1, 1, 2)))]
        terms.append("+".join(words))
    return terms


def _made_up_names(rng, count):
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize())
    return sorted(names)


class SeedDrift(Exception):
    """The seeding no longer matches the models: a column is neither given nor declared empty, or is unknown."""


def _copy(model, rows: Iterable[dict], *, empty: Iterable[str] = ()) -> None:
    """COPY rows (dicts by column name) into the model's table. The columns are the model's concrete fields,
    so a column added to a model stops the seeding with its name until it is given a value here or named in
    `empty` (left to NULL, or filled afterwards); an auto-numbered id may be left to the database."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    table = model._meta.db_table
    columns = [field.column for field in model._meta.concrete_fields]
    optional = {*empty, model._meta.pk.column} if isinstance(model._meta.pk, models.AutoField) else {*empty}
    missing = [column for column in columns if column not in first and column not in optional]
    unknown = sorted(set(first) - set(columns))
    if missing or unknown:
        raise SeedDrift(
            f"bench/seed.py writes {table} without {', '.join(missing) or 'nothing'}"
            f"{' and with unknown ' + ', '.join(unknown) if unknown else ''}: give each column a value, or name "
            "it in `empty`"
        )
    given = [column for column in columns if column in first]
    names = ", ".join(connection.ops.quote_name(column) for column in given)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row[column] for column in given])


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _reset_sequences(*models) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(_NoStyle(), models):
            cursor.execute(sql)


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text


def ensure_basics(rng) -> None:
    """Sections, authors, tags and the image library: made once."""
    if Section.objects.exists():
        return
    now = timezone.now()
    places = _made_up_names(rng, SECTIONS + AUTHORS * 2)
    Section.objects.bulk_create(
        Section(name=f"{places[i]} {['News', 'Business', 'Sport', 'Culture'][i % 4]}", slug=slugify(places[i]), order=i)
        for i in range(SECTIONS)
    )
    Author.objects.bulk_create(
        Author(name=f"{places[SECTIONS + i]} {places[SECTIONS + AUTHORS + i]}", slug=f"author-{i}", bio="Reporter.")
        for i in range(AUTHORS)
    )
    tag_names = sorted({f"{rng.choice(WORDS)} {name.lower()}" for name in _made_up_names(rng, TAGS * 2)})[:TAGS]
    from taggit.models import Tag

    Tag.objects.bulk_create(Tag(name=name, slug=slugify(name)[:100] + f"-{i}") for i, name in enumerate(tag_names))
    Image.objects.bulk_create(
        Image(
            file=f"images/bench/picture-{i}.jpg",
            width=2000,
            height=1333,
            built_widths=imaging.rendition_widths(2000),  # write_rendition_files() makes them when pictures are wanted
            alt_text=f"Picture {i} of {rng.choice(places)}",
            caption=f"A scene in {rng.choice(places)}",
            credit="Bench/Courier",
            uploaded_at=now,
        )
        for i in range(IMAGES)
    )


def write_rendition_files() -> int:
    """Files for every rendition of the image library (all the same size of picture, so each width is drawn
    once and copied), so pages measured in a browser load real pictures. Returns how many were written."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image as Picture
    from PIL import ImageDraw

    from articles import imaging

    drawn = {}
    written = 0
    for image in Image.objects.filter(file__startswith="images/bench/"):
        for width in imaging.rendition_widths(image.width):
            height = imaging.rendition_size(image.width, image.height, width)[1]
            for extension, kind in (("webp", "WEBP"), (image.fallback_extension, "JPEG")):
                if (width, extension) not in drawn:
                    picture = Picture.new("RGB", (width, height), (70, 110, 150))
                    pen = ImageDraw.Draw(picture)
                    for band in range(0, height, max(1, height // 24)):
                        pen.rectangle((0, band, width, band + height // 48), fill=(90 + band % 120, 120, 160))
                    pen.ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(220, 180, 90))
                    out = io.BytesIO()
                    picture.save(out, kind, quality=80)
                    drawn[width, extension] = out.getvalue()
                name = imaging.rendition_name(image.pk, image.file.name, width, extension)
                if not default_storage.exists(name):
                    default_storage.save(name, ContentFile(drawn[width, extension]))
                    written += 1
    return written


def _sentence(rng, words, places):
    chosen = rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=words)
    chosen[rng.randrange(words)] = rng.choice(places)
    return " ".join(chosen).capitalize()


def add_articles(count: int, *, seed: int = 1) -> None:
    """Add `count` published articles with everything an article page shows."""
    rng = random.Random(seed + _next_id(Article))
    ensure_basics(rng)
    sections = list(Section.objects.values_list("id", flat=True))
    authors = list(Author.objects.values_list("id", flat=True))
    from taggit.models import Tag

    tags = list(Tag.objects.values_list("id", flat=True))
    images = list(Image.objects.values_list("id", flat=True))
    places = _made_up_names(rng, 300)
    speakers = [f"{rng.choice(places)} {rng.choice(places)}" for _ in range(SPEAKERS)]
    first = _next_id(Article)
    ids = range(first, first + count)
    now = timezone.now()
    five_years = 5 * 365 * 24 * 3600
    times = {pk: now - timedelta(seconds=rng.randrange(60, five_years)) for pk in ids}

    def articles():
        for pk in ids:
            at = times[pk]
            body = "".join(f"<p>{_sentence(rng, rng.randint(40, 70), places)}.</p>" for _ in range(8))
            headline = _sentence(rng, rng.randint(8, 12), places)
            points = rng.randint(3, 5) if rng.random() < 0.3 else 0  # key points on about a third
            yield {
                "id": pk,
                "kicker": "",
                "headline": headline,
                "slug": f"{slugify(headline)[:180]}-{pk}",
                "standfirst": _sentence(rng, rng.randint(20, 30), places) + ".",
                "key_points": "\n".join(_sentence(rng, rng.randint(10, 16), places) + "." for _ in range(points)),
                "body": body,
                "section_id": rng.choice(sections),
                "lead_image_id": rng.choice(images),
                "lead_image_caption": "",
                "lead_image_credit": "",
                "status": "published",
                "published_at": at,
                "embargo_until": None,
                "first_published_at": at,
                "released_at": at,  # out, and the pages that list it were told
                "created_at": at,
                "updated_at": at,
                "version": 1,
                "meta_description": "",
                "top_story": False,
            }

    _copy(Article, articles(), empty=["created_by_id", "updated_by_id", "search_vector"])  # index() fills the last
    _copy(
        Byline,
        (
            {"article_id": pk, "author_id": author, "order": order}
            for pk in ids
            for order, author in enumerate(rng.sample(authors, rng.randint(1, 3)))
        ),
    )
    _copy(
        TaggedArticle,
        ({"content_object_id": pk, "tag_id": tag} for pk in ids for tag in rng.sample(tags, rng.randint(3, 6))),
    )
    _copy(
        Figure,
        (
            {"article_id": pk, "position": position, "image_id": rng.choice(images), "caption": "", "credit": ""}
            for pk in ids
            for position in (2, 5)
        ),
    )
    _copy(
        Quote,
        (
            {
                "article_id": pk,
                "position": position,
                "text": _sentence(rng, 18, places) + ".",
                "speaker_name": name,
                "speaker_slug": slugify(name),
                "speaker_role": "Resident",
            }
            for pk in ids
            for position, name in ((3, rng.choice(speakers)), (6, rng.choice(speakers)))
        ),
    )
    # Related picks among articles that exist by the end of this batch.
    pool = range(1, first + count)
    _copy(
        RelatedArticle,
        (
            {"from_article_id": pk, "to_article_id": other, "order": order}
            for pk in ids
            for order, other in enumerate(o for o in rng.sample(pool, 4) if o != pk)
            if order < 3
        ),
    )
    _reset_sequences(Article, Byline, TaggedArticle, Figure, Quote, RelatedArticle)
    index(first, first + count - 1)


def index(first: int, last: int) -> None:
    """The search index of these articles, as `index_articles` makes it, in SQL."""
    article, tagged = Article._meta.db_table, TaggedArticle._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {article} a SET search_vector =
                setweight(to_tsvector(%(config)s, a.headline), 'A')
                || setweight(to_tsvector(%(config)s, a.standfirst || ' ' || COALESCE(t.names, '')), 'B')
                || setweight(to_tsvector(%(config)s, regexp_replace(a.body, '<[^>]*>', ' ', 'g')), 'C')
            FROM (
                SELECT a2.id, string_agg(tag.name, ' ') AS names
                FROM {article} a2
                LEFT JOIN {tagged} ta ON ta.content_object_id = a2.id
                LEFT JOIN taggit_tag tag ON tag.id = ta.tag_id
                WHERE a2.id BETWEEN %(first)s AND %(last)s
                GROUP BY a2.id
            ) t
            WHERE a.id = t.id
            """,
            {"config": SEARCH_CONFIG, "first": first, "last": last},
        )
    with connection.cursor() as cursor:  # outside a transaction: VACUUM cannot run in one
        # Every table COPY wrote: the planner's statistics, and the visibility map index-only scans need
        # (autovacuum would do both in production).
        cursor.execute("VACUUM ANALYZE")


def add_subscriptions(count: int, *, newsletter: Newsletter, seed: int = 2) -> None:
    """Add `count` readers, each subscribed to `newsletter`: 80% active, 10% pending, 10% unsubscribed."""
    rng = random.Random(seed + _next_id(Subscriber))
    first = _next_id(Subscriber)
    ids = range(first, first + count)
    now = timezone.now()
    _copy(Subscriber, ({"id": pk, "email": f"reader{pk}@example.org", "created_at": now} for pk in ids))

    def subscriptions():
        for pk in ids:
            at = now - timedelta(seconds=rng.randrange(60, 3 * 365 * 24 * 3600))
            roll = rng.random()
            status = "active" if roll < 0.8 else "pending" if roll < 0.9 else "unsubscribed"
            confirmed = status != "pending"
            yield {
                "id": pk,
                "subscriber_id": pk,
                "newsletter_id": newsletter.pk,
                "status": status,
                "created_at": at,
                "subscribed_at": at,
                "confirmed_at": at + timedelta(minutes=5) if confirmed else None,
                "unsubscribed_at": at + timedelta(days=30) if status == "unsubscribed" else None,
                "source": "/articles/some-story/",
                "consent_text": CONSENT,
                "consent_version": "2026-01",
                "signup_ip": f"192.0.2.{pk % 250 + 1}",
                "signup_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                "confirm_ip": f"198.51.100.{pk % 250 + 1}" if confirmed else None,
                "confirm_user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" if confirmed else "",
                "confirmation_requested_at": at,
                "confirmation_sent_at": at,
                "confirmation_attempted_at": at,
                "token_nonce": 0,
            }

    _copy(Subscription, subscriptions())
    _reset_sequences(Subscriber, Subscription)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Subscriber._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {Subscription._meta.db_table}")
