"""Standing pages (About us, Contact): edited by editors, linked from every page's footer."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from pages.models import Page
from tests.factories import SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def about():
    return Page.objects.create(
        slug="about", title="About us", body="<p>Who we are.</p><script>alert(1)</script>", order=1
    )


def test_a_page_is_served_at_its_own_short_address(client, about):
    response = client.get("/about/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>About us</h1>" in html and "<p>Who we are.</p>" in html
    assert "<script>alert" not in html


def test_the_footer_has_sections_feeds_pages_and_copyright(client, about):
    SectionFactory(name="Business", slug="business")
    Page.objects.create(slug="contact", title="Contact", order=2)
    Page.objects.create(slug="jobs", title="Jobs", in_footer=False)

    footer = client.get("/").content.decode().split('<footer class="site-footer">')[1]

    assert 'href="/sections/business/"' in footer
    assert 'href="/feeds/rss.xml"' in footer and 'href="/feeds/atom.xml"' in footer
    assert footer.index('href="/about/"') < footer.index('href="/contact/"')
    assert "/jobs/" not in footer
    assert "&copy;" in footer


def test_a_section_page_offers_its_own_feed_in_the_footer(client):
    SectionFactory(name="Business", slug="business")

    footer = client.get("/sections/business/").content.decode().split('<footer class="site-footer">')[1]

    assert 'href="/sections/business/feed/"' in footer


def test_a_new_footer_page_shows_at_once_on_cached_pages(client, about):
    assert "/contact/" not in client.get("/").content.decode()

    Page.objects.create(slug="contact", title="Contact")

    assert 'href="/contact/"' in client.get("/").content.decode()


@pytest.mark.parametrize("slug", ["search", "newsletter", "admin", "static", "healthz"])
def test_a_page_cannot_take_an_address_the_site_uses(slug):
    page = Page(slug=slug, title="Clash")

    with pytest.raises(ValidationError) as error:
        page.full_clean()

    assert "already part of the site" in str(error.value)


def test_editors_edit_pages_and_journalists_cannot(client, login_as, about):
    assert set(Group.objects.get(name="Editor").permissions.filter(content_type__app_label="pages")) == set(
        Permission.objects.filter(content_type__app_label="pages")
    )
    login_as("Journalist")
    assert client.get(f"/admin/pages/page/{about.pk}/change/").status_code == 403

    client.logout()
    login_as("Editor", username="ed")
    response = client.post(
        f"/admin/pages/page/{about.pk}/change/",
        {"title": "About the Courier", "slug": "about", "body": "<p>New words</p>", "description": "", "order": 1},
    )
    assert response.status_code == 302
    assert Page.objects.get(pk=about.pk).title == "About the Courier"


def test_the_sitemap_lists_pages(client, about):
    assert "/about/" in client.get("/sitemap-pages.xml").content.decode()
