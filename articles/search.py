"""Search support: the query readers type, the search index, and highlighted snippets."""

import re
from html import unescape

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .blocks import words_of

MAX_QUERY = 200
SNIPPET = 220


def clean_query(raw: str) -> str:
    """What we search for: trimmed, at most 200 characters, and only if it has a letter or digit."""
    text = " ".join((raw or "").split())[:MAX_QUERY]
    return text if re.search(r"\w", text) else ""


def words(query: str) -> list[str]:
    return [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1][:12]


def index_articles(articles) -> None:
    """Refresh the full-text index of these articles (PostgreSQL only): headline A, standfirst and tags B,
    body C, stemmed in English."""
    if connection.vendor != "postgresql":
        return
    from newsroom import freshness

    from .models import SEARCH_CONFIG, Article

    for article in articles:
        tags = " ".join(tag.name for tag in article.tags.all())
        vector = (
            SearchVector(Value(article.headline), weight="A", config=SEARCH_CONFIG)
            + SearchVector(Value(f"{article.standfirst} {tags}"), weight="B", config=SEARCH_CONFIG)
            + SearchVector(Value(words_of(article.body)), weight="C", config=SEARCH_CONFIG)
        )
        Article.objects.filter(pk=article.pk).update(search_vector=vector)
    freshness.changed("search")  # search results are what readers see too


def snippet(article, query: str) -> SafeString:
    """The part of the standfirst or body where the words occur, escaped, with the words marked."""
    text = " ".join(f"{article.standfirst} {unescape(words_of(article.body))}".split())  # escaped once, below
    terms = words(query)
    if not terms:
        return mark_safe(escape(text[:SNIPPET]))
    # Match word beginnings, so 'bridges' also marks 'bridge' (a rough stand-in for stemming).
    pattern = re.compile(r"\b(" + "|".join(re.escape(t[: max(4, len(t) - 2)]) for t in terms) + r")\w*", re.I)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - 60)
    window = text[start : start + SNIPPET]
    pieces, last = [], 0
    for match in pattern.finditer(window):
        pieces.append(escape(window[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(window[last:]))
    prefix = "…" if start else ""
    suffix = "…" if start + SNIPPET < len(text) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)
