import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from articles.models import Article
from tests.e2e.test_writing import add_inline_row, pick
from tests.factories import SectionFactory, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, base: str, username: str):
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


def test_a_journalist_writes_and_submits_and_an_editor_publishes(live_server, page: Page, tmp_path, roles):
    SectionFactory(slug="news", name="News")
    for name, group in (("jo", "Journalist"), ("ed", "Editor")):
        user = User.objects.create_user(name, password="correct horse battery", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    photo = tmp_path / "fair.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(1200, 800)))

    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/image/add/")
    page.get_by_label("File").set_input_files(str(photo))
    page.get_by_label("Alt text").fill("Stalls and a big wheel at the Charter Fair")
    page.get_by_label("Caption").fill("The Charter Fair opens on Saturday")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.get_by_label("Headline").press_sequentially("Charter Fair returns with a record 200 stalls")
    page.get_by_label("Standfirst").fill("Organisers expect 30,000 visitors.")
    body = page.locator(".prose-editor [contenteditable=true]")
    body.click()
    body.type("The fair opens at ten on Saturday.")
    pick(page, "id_section", "News")
    pick(page, "id_lead_image", "Stalls and a big wheel")
    add_inline_row(page, "Add another Quote", "#id_quotes-0-text")
    page.locator("#id_quotes-0-text").fill("It is the biggest fair we have had.")
    page.locator("#id_quotes-0-speaker_name").fill("Ruth Okoye")
    page.locator("#id_quotes-0-speaker_role").fill("Fair organiser")
    expect(page.get_by_role("button", name="Save and publish now")).to_have_count(0)
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get()
    assert article.status == Article.Status.REVIEW
    page.goto(live_server.url)
    expect(page.get_by_text("Charter Fair returns with a record 200 stalls")).to_have_count(0)

    log_in(page, live_server.url, "ed")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    page.get_by_role("button", name="Save and publish now").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(live_server.url)
    page.get_by_role("link", name="Charter Fair returns with a record 200 stalls").first.click()
    expect(page.locator("figure.lead-figure figcaption")).to_contain_text("The Charter Fair opens on Saturday")
    expect(page.locator("figure.pull-quote figcaption")).to_contain_text("Ruth Okoye")
