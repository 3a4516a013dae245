import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def pick(page: Page, field_id: str, term: str):
    """Choose an option in one of the admin's autocomplete (select2) boxes (once more if a busy machine lost the
    click that opens it, or the one that chooses while the results were still being replaced)."""
    chosen = page.locator(f"#select2-{field_id}-container")
    search = page.locator(".select2-container--open .select2-search__field")
    for _ in range(3):
        page.locator(f".select2-selection[aria-labelledby='select2-{field_id}-container']").click()
        try:
            search.wait_for(timeout=5_000)
        except PlaywrightTimeoutError:
            continue
        search.fill(term)
        page.locator(".select2-results__option--highlighted", has_text=term).click()
        try:
            expect(chosen).to_contain_text(term, timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    expect(chosen).to_contain_text(term)
    expect(page.locator(".select2-container--open")).to_have_count(0)


def add_inline_row(page: Page, link_text: str, first_field: str):
    """Click an inline's "Add another …" link and wait for the new row (once more if a busy machine lost the
    click while the admin's scripts were still starting)."""
    for _ in range(2):
        page.get_by_text(link_text).click()
        try:
            expect(page.locator(first_field)).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(page.locator(first_field)).to_be_visible()


def test_editor_writes_and_publishes_an_article_with_an_image_and_a_quote(live_server, page: Page, tmp_path, roles):
    SectionFactory(slug="news", name="News")
    ArticleFactory(tags=["transport"])
    AuthorFactory(name="Priya Shah", job_title="Transport correspondent")
    editor = User.objects.create_user("ed", password="correct horse battery", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    photo = tmp_path / "market-square.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(1400, 900)))

    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("ed")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/admin/articles/image/add/")
    page.get_by_label("File").set_input_files(str(photo))
    page.get_by_label("Alt text").fill("Stalls in the market square on a sunny morning")
    page.get_by_label("Caption").fill("Saturday market in full swing")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.get_by_label("Headline").press_sequentially("Market square to go car-free on Saturdays")
    expect(page.get_by_label("Slug")).to_have_value("market-square-to-go-car-free-on-saturdays")
    page.get_by_label("Standfirst").fill("Traders back the six-month trial.")
    editor_area = page.locator(".prose-editor [contenteditable=true]")
    editor_area.click()
    editor_area.type("The trial starts next month.")
    editor_area.press("Enter")
    editor_area.type("Buses will be rerouted along Bridge Street.")
    pick(page, "id_section", "News")
    tags = page.locator("#id_tags")
    tags.press_sequentially("high street, tra")
    expect(page.locator("#id_tags-suggestions option")).to_have_attribute("value", "high street, transport, ")
    tags.fill("high street, transport")
    pick(page, "id_lead_image", "Stalls in the market")
    preview = page.locator("[data-image-preview-target] img").first
    expect(preview).to_have_attribute("alt", "Stalls in the market square on a sunny morning")
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth > 0)"), "the chosen picture is not shown"
    pick(page, "id_bylines-0-author", "Priya")
    add_inline_row(page, "Add another Quote", "#id_quotes-0-text")
    page.locator("#id_quotes-0-text").fill("Shoppers will finally have room to breathe.")
    page.locator("#id_quotes-0-speaker_name").fill("Hannah Cole")
    page.locator("#id_quotes-0-speaker_role").fill("Chair of the Market Traders")
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get(slug="market-square-to-go-car-free-on-saturdays")
    assert article.is_live
    assert "<p>The trial starts next month.</p>" in article.body

    page.goto(live_server.url)
    page.get_by_role("link", name="Market square to go car-free on Saturdays").first.click()
    expect(page.locator("figure.lead-figure figcaption")).to_contain_text("Saturday market in full swing")
    expect(page.locator("figure.pull-quote figcaption")).to_contain_text("Hannah Cole")
    expect(page.locator(".byline__name")).to_have_text("Priya Shah")
    lead = page.get_by_role("img", name="Stalls in the market square on a sunny morning")
    assert lead.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)"), (
        "the uploaded picture's rendition did not load"
    )
