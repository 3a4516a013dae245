import pytest
from playwright.sync_api import Page, expect

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    BylineFactory,
    ImageFactory,
    QuoteFactory,
    RelatedArticleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_follows_the_lead_headline_to_a_complete_article(live_server, page: Page):
    image = ImageFactory(alt_text="The old wharf at low tide")
    older = ArticleFactory(headline="Wharf warehouses listed as heritage sites", lead_image=image)
    lead = ArticleFactory(
        headline="Footbridge over the Wend gets the go-ahead",
        body="<p>The council voted on Tuesday.</p><p>Work starts in spring.</p><p>It will cost £4m.</p>",
        lead_image=image,
        lead_image_caption="The wharf where the bridge will land",
        lead_image_credit="Jo Finch",
    )
    BylineFactory(article=lead, author=AuthorFactory(name="Priya Shah", job_title="Transport correspondent"))
    QuoteFactory(
        article=lead,
        text="This bridge joins two halves of the town.",
        speaker_name="Ada Marsh",
        speaker_role="Leader of Kingsmere Town Council",
    )
    RelatedArticleFactory(from_article=lead, to_article=older)

    page.goto(live_server.url)
    page.get_by_role("region", name="Lead story").get_by_role("link", name=lead.headline).click()

    expect(page).to_have_url(f"{live_server.url}{lead.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(lead.headline)
    lead_figure = page.locator("figure.lead-figure")
    expect(lead_figure.locator("figcaption")).to_contain_text("The wharf where the bridge will land")
    expect(lead_figure.locator("figcaption")).to_contain_text("Jo Finch")
    lead_picture = lead_figure.get_by_role("img", name="The old wharf at low tide")
    expect(lead_picture).to_be_visible()
    assert lead_picture.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)"), (
        "the lead rendition did not load"
    )

    quote = page.locator("figure.pull-quote")
    expect(quote.locator("blockquote")).to_contain_text("This bridge joins two halves of the town.")
    expect(quote.locator("figcaption")).to_contain_text("Ada Marsh")
    expect(quote.locator("figcaption")).to_contain_text("Leader of Kingsmere Town Council")

    related = page.get_by_role("complementary", name="Related news")
    related.get_by_role("link", name=older.headline).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(older.headline)


def test_article_page_is_readable_on_a_phone(live_server, page: Page):
    article = ArticleFactory(lead_image=ImageFactory(), body="<p>" + "A long paragraph. " * 80 + "</p>")
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(f"{live_server.url}{article.get_absolute_url()}")

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page scrolls sideways on a phone ({scroll_width}px wide)"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
