"""The header and footer every page shares (sections, footer pages, newsletters) are cached until
something readers see changes: three queries once, then none."""

import pytest

from pages.models import Page
from tests.factories import SectionFactory

pytestmark = pytest.mark.django_db


def test_the_header_and_footer_cost_three_queries_once_then_none(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SectionFactory(name="Business")
    Page.objects.create(slug="about", title="About us")
    client.get("/robots.txt")  # the content version exists; nothing else is cached yet

    with CaptureQueriesContext(connection) as first:
        client.get("/no-such-page/")
    with CaptureQueriesContext(connection) as second:
        client.get("/no-such-page/")

    assert len(first) - len(second) == 3


def test_a_renamed_section_shows_at_once(client):
    section = SectionFactory(name="Business", slug="business")
    assert ">Business<" in client.get("/").content.decode()

    section.name = "Money"
    section.save()

    html = client.get("/").content.decode()
    assert ">Money<" in html and ">Business<" not in html
