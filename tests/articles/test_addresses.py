"""Article, section and author addresses are made without `reverse()` for each one; they must be what it gives."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from articles.addresses import slug_url
from articles.models import Article, Author, Section

ODD_SLUGS = [
    "a",
    "plain-slug_with-1-number",
    "UPPER-case",
    "-leading-hyphen",
    "zürich-café",
    "日本語",
    "with space",
    "a/b",
    "100%",
    "question?",
    "slug-placeholder-7d1c",
    "",
]


def reversed_or_refused(name, slug):
    try:
        return reverse(name, kwargs={"slug": slug})
    except NoReverseMatch:
        return NoReverseMatch


def made_or_refused(name, slug):
    try:
        return slug_url(name, slug)
    except NoReverseMatch:
        return NoReverseMatch


@pytest.mark.parametrize("name", ["articles:detail", "articles:section", "articles:author", "articles:tag"])
@pytest.mark.parametrize("slug", ODD_SLUGS)
def test_addresses_are_what_reverse_gives_for_any_slug(name, slug):
    assert made_or_refused(name, slug) == reversed_or_refused(name, slug)


def test_the_models_addresses_are_what_reverse_gives():
    assert Article(slug="big-news_2").get_absolute_url() == reverse("articles:detail", args=["big-news_2"])
    assert Section(slug="business").get_absolute_url() == reverse("articles:section", args=["business"])
    assert Author(slug="jane-doe").get_absolute_url() == reverse("articles:author", args=["jane-doe"])


def test_addresses_follow_the_script_prefix():
    slug_url("articles:detail", "before")  # the unprefixed address worked out first
    set_script_prefix("/newsroom/")
    try:
        assert slug_url("articles:detail", "story") == "/newsroom/articles/story/"
        assert slug_url("articles:detail", "story") == reverse("articles:detail", args=["story"])
    finally:
        set_script_prefix("/")
    assert slug_url("articles:detail", "story") == "/articles/story/"
