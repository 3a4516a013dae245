"""Property-based fuzzing of every public URL pattern, the sign-up form and the search form: random text with
control characters, huge values and repeated parameters always gets a designed page, never a 500.

A few hundred examples in `make test`; `FUZZ_EXAMPLES` sets more (`make bench` runs thousands).
"""

import os
import re
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article
from pages.models import Page
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory, QuoteFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # every run starts afresh: nothing is kept between CI runs
)


def public_routes(patterns=None, prefix=""):
    """Every route of the public site, as written in the URLconf ('tags/<uslug:slug>/')."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/") or route.startswith("^"):
            continue  # the back office needs a login; media is the file server's
        if isinstance(pattern, URLResolver):
            yield from public_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


ROUTES = sorted(set(public_routes()))
PARAMETER = re.compile(r"<(?:\w+:)?\w+>")

# Any character but lone surrogates (which no URL can carry): control characters and NUL included.
anything = st.characters(exclude_categories=["Cs"])
text = st.one_of(
    st.text(anything, max_size=40),
    st.text(anything, min_size=1000, max_size=5000),  # huge
    st.sampled_from(["", "0", "-1", "1e309", "99999999999999999999999", "%00", "\x00", "../..", "<script>"]),
    st.integers().map(str),
)
names = st.one_of(
    st.sampled_from(["q", "page", "sort", "p", "format", "next", "utm_source"]), st.text(anything, max_size=12)
)
query = st.lists(st.tuples(names, text), max_size=6)  # a name may repeat


@pytest.fixture
def site():
    story = ArticleFactory(slug="bridge", tags=["bridge", "café"])
    BylineFactory(article=story, author=AuthorFactory(slug="helen-marsh"))
    QuoteFactory(article=story)
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    Page.objects.create(title="About us", slug="about", body="<p>Who we are.</p>")
    SubscriptionFactory()
    return Client(raise_request_exception=False)


def assert_designed(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])


@FUZZ
@given(route=st.sampled_from(ROUTES), segments=st.lists(text, min_size=3, max_size=3), params=query)
def test_every_public_url_answers_random_paths_and_parameters_with_a_designed_page(site, route, segments, params):
    values = iter(segments)
    path = "/" + PARAMETER.sub(lambda _: quote(next(values), safe="") or "x", route)

    response = site.get(path, QUERY_STRING=urlencode(params))

    assert_designed(response)


@FUZZ
@given(q=text, sort=text, page=text, repeat=query)
def test_the_search_form_answers_anything_typed_with_a_designed_page(site, q, sort, page, repeat):
    response = site.get("/search/", QUERY_STRING=urlencode([("q", q), ("sort", sort), ("page", page), *repeat]))

    assert_designed(response)


@FUZZ
@given(email=text, newsletter=text, source=text, website=st.sampled_from(["", "http://spam.example"]), extra=query)
def test_the_sign_up_form_answers_anything_typed_with_a_designed_page(site, email, newsletter, source, website, extra):
    data = [("email", email), ("newsletter", newsletter), ("source", source), ("website", website), *extra]

    response = site.post(
        "/newsletter/", urlencode(data), content_type="application/x-www-form-urlencoded", REMOTE_ADDR="203.0.113.50"
    )

    assert_designed(response)
    assert response.status_code in {200, 302, 400, 403, 429}


@pytest.fixture(autouse=True)
def _sign_ups_not_rate_limited(settings):
    settings.NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR = 1_000_000
