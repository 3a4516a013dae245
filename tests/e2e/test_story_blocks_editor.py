"""The body editor's story blocks (static/articles/editor/blocks.js) in the real browser: a journalist builds a story
from a picture out of the media library, a table with a caption, a fact box and a gallery, and what is stored is the
small form the reader's renderer expects (articles/sanitize.py, articles/editor_blocks.py); opened again, the
editor shows the same blocks and gives back the same HTML, byte for byte."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect

from articles.models import Article
from tests.e2e.test_newsroom_workflow import log_in
from tests.e2e.test_writing import pick
from tests.factories import ArticleFactory, ImageFactory, SectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def watch_console(page: Page) -> list[str]:
    """What the page reports as errors: console errors and uncaught exceptions."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def editor_html(page: Page) -> str:
    """What the body editor would store now (its getHTML(), the textarea's value once something changes)."""
    return page.evaluate("document.querySelector('.field-body .ProseMirror[contenteditable]').editor.getHTML()")


def test_a_journalist_builds_a_story_from_library_pictures_a_table_a_fact_box_and_a_gallery(
    live_server, page: Page, roles
):
    SectionFactory(slug="news", name="News")
    journalist = User.objects.create_user("jo", password="correct horse battery", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    ferry = ImageFactory(alt_text="The ferry at the pier", caption="The morning ferry", credit="Ann Lee")
    storm = ImageFactory(alt_text="Waves over the harbour wall", caption="Storm at high tide", credit="Raj Patel")
    crew = ImageFactory(
        alt_text="The lifeboat crew on the slipway", caption="Crew drill", credit="Courier photographer"
    )
    errors = watch_console(page)

    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.get_by_label("Headline").press_sequentially("Harbour reopens after storm repairs")
    page.get_by_label("Standfirst").fill("Ferries run again from Monday.")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    body.click()
    body.press_sequentially("The harbour reopens on Monday.")
    body.press("Enter")

    # A picture from the library: the search narrows the choice, the caption is this story's own.
    page.get_by_role("button", name="Insert picture from the library").click()
    picker = page.get_by_role("dialog", name="Choose a picture from the library")
    expect(picker.locator(".story-picker__item")).to_have_count(3)
    expect(picker.get_by_role("link", name="Upload a new picture")).to_have_attribute("target", "_blank")
    picker.get_by_label("Search the library").fill("lifeboat")
    picker.get_by_label("Search the library").press("Enter")
    expect(picker.locator(".story-picker__item")).to_have_count(1)
    picker.get_by_role("img", name="The lifeboat crew on the slipway").click()
    details = page.get_by_role("dialog", name="Picture in this story")
    caption = details.get_by_label("Caption", exact=True)
    expect(caption).to_have_attribute("placeholder", "Crew drill")
    expect(details.get_by_label("Credit", exact=True)).to_have_attribute("placeholder", "Courier photographer")
    caption.fill("Volunteers launch the lifeboat")
    details.get_by_role("button", name="Insert picture").click()
    expect(details).to_have_count(0)
    picture = body.locator(".story-picture")
    expect(picture.get_by_role("img", name="The lifeboat crew on the slipway")).to_be_visible()
    expect(picture).to_contain_text("Volunteers launch the lifeboat")
    expect(picture).to_contain_text("Courier photographer")  # the library's credit, shown muted

    # A table with a header row and a caption.
    page.locator(".prose-menubar").get_by_role("button", name="Insert table").click()
    table_dialog = page.get_by_role("dialog", name="Insert table")
    expect(table_dialog.get_by_label("First row is a header row")).to_be_checked()
    table_dialog.get_by_label("Rows").fill("2")
    table_dialog.get_by_label("Columns").fill("2")
    table_dialog.get_by_role("button", name="Insert table").click()
    expect(body.locator("table th")).to_have_count(2)
    for text in ("Year", "Crossings", "2024"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")  # to the next cell (in the last one it would add a row)
    page.keyboard.type("1,204")
    page.get_by_role("button", name="Table caption").click()
    caption_dialog = page.get_by_role("dialog", name="Table caption")
    caption_dialog.get_by_label("Caption").fill("Crossings per year")
    caption_dialog.get_by_role("button", name="Update").click()
    expect(body.locator(".story-table__caption")).to_contain_text("Crossings per year")

    # A list, then a fact box around it.
    body.press("Control+End")
    body.press_sequentially("- 1 May: first sailing")
    body.press("Enter")
    body.press_sequentially("3 June: new timetable")
    page.get_by_role("button", name="Fact box", exact=True).click()
    title_dialog = page.get_by_role("dialog", name="Fact box")
    title_dialog.get_by_role("button", name="Make fact box").click()  # the title is required
    expect(title_dialog).to_be_visible()
    title_dialog.get_by_label("Title").fill("Key dates")
    title_dialog.get_by_role("button", name="Make fact box").click()
    expect(body.locator(".story-factbox .story-factbox__title")).to_have_text("Key dates")
    expect(body.locator(".story-factbox li")).to_have_count(2)
    expect(page.get_by_role("button", name="Remove fact box")).to_be_visible()

    # A gallery of the three pictures: chosen in order, one moved, a caption on the second.
    body.press("Control+End")
    expect(page.get_by_role("button", name="Remove fact box")).to_be_hidden()
    page.locator(".prose-menubar").get_by_role("button", name="Insert gallery").click()
    picker = page.get_by_role("dialog", name="Choose the gallery's pictures")
    for alt in ("The ferry at the pier", "The lifeboat crew on the slipway", "Waves over the harbour wall"):
        picker.get_by_role("img", name=alt).click()
    for image, number in ((ferry, "1"), (crew, "2"), (storm, "3")):
        expect(picker.locator(f".story-picker__item[data-id='{image.pk}'] .story-picker__order")).to_have_text(number)
    picker.get_by_role("button", name="Use 3 pictures").click()
    gallery = page.get_by_role("dialog", name="Gallery")
    gallery.get_by_role("group", name="Picture 3 of 3").get_by_role("button", name="Move up").click()
    second = gallery.get_by_role("group", name="Picture 2 of 3")
    expect(second.get_by_role("img")).to_have_attribute("alt", "Waves over the harbour wall")
    second.get_by_label("Caption").fill("Storm waves over the wall")
    gallery.get_by_role("group", name="Picture 1 of 3").get_by_role("button", name="Remove").click()
    gallery.get_by_role("group", name="Picture 2 of 2").get_by_role("button", name="Remove").click()
    gallery.get_by_role("button", name="Insert gallery").click()
    expect(gallery.get_by_role("alert")).to_contain_text("at least two pictures")
    gallery.get_by_role("button", name="Add pictures").click()
    more = page.get_by_role("dialog", name="Add pictures to the gallery")
    more.get_by_role("img", name="The ferry at the pier").click()
    more.get_by_role("img", name="The lifeboat crew on the slipway").click()
    more.get_by_role("button", name="Use 2 pictures").click()
    expect(gallery.locator(".story-gallery-dialog__item")).to_have_count(3)
    gallery.get_by_role("group", name="Picture 1 of 3").get_by_role("button", name="Move down").click()
    expect(gallery.get_by_role("group", name="Picture 2 of 3").get_by_role("img")).to_have_attribute(
        "alt", "Waves over the harbour wall"
    )
    expect(gallery.get_by_role("group", name="Picture 2 of 3").get_by_label("Caption")).to_have_value(
        "Storm waves over the wall"
    )
    gallery.get_by_role("button", name="Insert gallery").click()
    expect(body.locator(".story-gallery .story-gallery__item")).to_have_count(3)

    pick(page, "id_section", "News")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get()
    expected = (
        "<p>The harbour reopens on Monday.</p>"
        f'<figure data-image="{crew.pk}"><figcaption>Volunteers launch the lifeboat</figcaption></figure>'
        '<table data-caption="Crossings per year"><tbody>'
        "<tr><th><p>Year</p></th><th><p>Crossings</p></th></tr>"
        "<tr><td><p>2024</p></td><td><p>1,204</p></td></tr>"
        "</tbody></table>"
        '<aside class="factbox" data-title="Key dates">'
        "<ul><li><p>1 May: first sailing</p></li><li><p>3 June: new timetable</p></li></ul>"
        "</aside>"
        '<div data-gallery="">'
        f'<figure data-image="{ferry.pk}"></figure>'
        f'<figure data-image="{storm.pk}"><figcaption>Storm waves over the wall</figcaption></figure>'
        f'<figure data-image="{crew.pk}"></figure>'
        "</div>"
    )
    assert re.sub(r"(<p></p>)+$", "", article.body) == expected

    # Opened again: the same blocks, and the editor gives back exactly what is stored.
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    expect(body.locator(".story-picture").get_by_role("img", name="The lifeboat crew on the slipway")).to_be_visible()
    expect(body.locator(".story-table__caption")).to_contain_text("Crossings per year")
    expect(body.locator("table th")).to_have_text(["Year", "Crossings"])
    expect(body.locator(".story-factbox__title")).to_have_text("Key dates")
    expect(body.locator(".story-gallery img")).to_have_count(3)
    expect(body.locator(".story-gallery")).to_contain_text("Storm waves over the wall")
    assert editor_html(page) == article.body

    # An edit undone makes the editor write its HTML into the form; saved, the body is byte-identical.
    body.focus()  # not a click: the middle of the editor may be one of the blocks' buttons
    body.press("Control+End")
    body.press_sequentially("x")
    body.press("Backspace")
    assert page.locator("#id_body").input_value() == article.body
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Article.objects.get().body == article.body

    assert not errors, errors


def test_a_picture_gone_from_the_library_and_an_unreachable_library_are_said_not_hidden(live_server, page: Page, roles):
    journalist = User.objects.create_user("jo", password="correct horse battery", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    kept = ImageFactory(alt_text="Harbour lights at dusk", caption="Lights on the quay", credit="Ann Lee")
    gone = ImageFactory()
    gone_pk = gone.pk
    gone.delete()
    article = ArticleFactory(
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=journalist,
        body=f'<p>Intro.</p><figure data-image="{gone_pk}"></figure><figure data-image="{kept.pk}"></figure>',
    )
    errors = watch_console(page)

    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    pictures = body.locator(".story-picture")
    expect(pictures).to_have_count(2)  # all() does not wait: the editor may not have drawn them yet
    missing, present = pictures.all()
    expect(missing).to_contain_text("This picture is no longer in the library")
    expect(missing.get_by_role("img")).to_have_count(0)
    expect(present.get_by_role("img", name="Harbour lights at dusk")).to_be_visible()
    expect(present).to_contain_text("Lights on the quay")  # the library's caption, as none is given here

    # The story's own alt text for the picture, through its Edit button.
    present.get_by_role("button", name="Edit").click()
    details = page.get_by_role("dialog", name="Picture in this story")
    alt = details.get_by_label("Alt text")
    expect(alt).to_have_attribute("placeholder", "Harbour lights at dusk")
    alt.fill("Lamps along the quay at dusk")
    details.get_by_role("button", name="Update").click()
    expect(present.get_by_role("img", name="Lamps along the quay at dusk")).to_be_visible()

    # The library out of reach: the picker says so, Escape closes it and the writing goes on in the editor.
    page.route(re.compile(r"/picker/\?q="), lambda route: route.abort())
    page.get_by_role("button", name="Insert picture from the library").click()
    picker = page.get_by_role("dialog", name="Choose a picture from the library")
    expect(picker.get_by_role("alert")).to_contain_text("could not be reached")
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    assert page.evaluate("document.activeElement.classList.contains('ProseMirror')")

    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Article.objects.get().body == (
        f'<p>Intro.</p><figure data-image="{gone_pk}"></figure>'
        f'<figure data-image="{kept.pk}" data-alt="Lamps along the quay at dusk"></figure>'
    )
    assert [error for error in errors if "Failed to load resource" not in error] == []


def test_a_providers_link_pasted_on_a_line_of_its_own_is_marked_as_an_embed(live_server, page: Page, roles):
    journalist = User.objects.create_user("jo", password="correct horse battery", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    errors = watch_console(page)

    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    body.click()
    body.press_sequentially("Watch the council debate: https://www.youtube.com/watch?v=Kx7Rf2pQm0A tonight.")
    body.press("Enter")
    body.press_sequentially("https://www.youtube.com/watch?v=Kx7Rf2pQm0A")
    body.press("Enter")
    body.press_sequentially("https://example.org/not-a-provider")

    marked = body.locator("p.story-embed-link")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-embed", re.compile("^Embed from YouTube"))
    expect(marked).to_contain_text("https://www.youtube.com/watch?v=Kx7Rf2pQm0A")
    assert not errors, errors


def paste_html(page: Page, html: str) -> None:
    """What a paste of copied web content does where the cursor is."""
    page.evaluate(
        """html => {
            const data = new DataTransfer()
            data.setData("text/html", html)
            document.activeElement.dispatchEvent(
                new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
            )
        }""",
        html,
    )


def top_level(html: str) -> list[str]:
    """The tags of the blocks a body is made of, in order."""
    tags, depth = [], 0

    class Blocks(HTMLParser):
        def handle_starttag(self, tag, attrs):
            nonlocal depth
            if depth == 0:
                tags.append(tag)
            depth += 1

        def handle_endtag(self, tag):
            nonlocal depth
            depth -= 1

    Blocks().feed(html)
    return tags


def cursor_at_end_of(page: Page, line: str) -> None:
    """The cursor at the end of a line of the body, once the editor has taken it in."""
    page.locator(".field-body .ProseMirror[contenteditable=true]").get_by_text(line, exact=True).click()
    page.keyboard.press("End")
    page.wait_for_function(
        """line => {
            const { $head } = document.querySelector(".field-body .ProseMirror[contenteditable]").editor.state.selection
            return $head.parent.textContent === line && $head.parentOffset === line.length
        }""",
        arg=line,
    )


def drag(page: Page, source, target) -> None:
    """Drag with the mouse, in small steps as a hand does, and drop on the left of the target's first line."""
    source.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(end["x"] + 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()


def test_a_block_pasted_or_dropped_into_a_list_a_quote_or_a_cell_lands_after_it(live_server, page: Page, roles):
    journalist = User.objects.create_user("jo", password="correct horse battery", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    gauge, sandbags = ImageFactory(alt_text="The river gauge"), ImageFactory(alt_text="Sandbags at the door")
    levels = (
        '<table data-caption="Levels"><tbody><tr><th><p>Gauge</p></th></tr><tr><td><p>3.2m</p></td></tr>'
        "</tbody></table>"
    )
    article = ArticleFactory(
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=journalist,
        body=(
            "<ul><li><p>Schools shut</p></li><li><p>Roads closed</p></li></ul>"
            "<blockquote><p>We have never seen it this high.</p></blockquote>"
            f'{levels}<figure data-image="{gauge.pk}"></figure><p>More to follow.</p>'
        ),
    )
    errors = watch_console(page)

    page.set_viewport_size({"width": 1280, "height": 2000})  # the whole story in sight, to drag across
    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")

    # Pasted into a list item and into a quote, a picture and a gallery land after that block; the words stay put.
    cursor_at_end_of(page, "Schools shut")
    paste_html(page, f'<figure data-image="{sandbags.pk}"><figcaption>At the door</figcaption></figure>')
    cursor_at_end_of(page, "We have never seen it this high.")
    paste_html(page, f'<div data-gallery=""><figure data-image="{gauge.pk}"></figure></div>')

    # Dragged onto a line of the list, the picture moves, and lands after the list.
    picture = body.locator(".story-picture").filter(has=page.get_by_role("img", name="The river gauge"))
    drag(page, picture.get_by_role("img"), body.get_by_text("Roads closed", exact=True))

    # A table made in a list item lands after the list, with the cursor in its first cell to type on.
    cursor_at_end_of(page, "Roads closed")
    page.locator(".prose-menubar").get_by_role("button", name="Insert table").click()
    table_dialog = page.get_by_role("dialog", name="Insert table")
    table_dialog.get_by_label("Rows").fill("2")
    table_dialog.get_by_label("Columns").fill("1")
    table_dialog.get_by_role("button", name="Insert table").click()
    page.keyboard.type("Rain")

    expect(body.locator(":is(li, blockquote, td) :is(.story-block, table)")).to_have_count(0)
    expect(body.locator("> .story-picture")).to_have_count(2)

    stored = editor_html(page)
    assert top_level(stored) == ["ul", "table", "figure", "figure", "blockquote", "div", "table", "p"], stored
    assert "<th><p>Rain</p></th>" in stored
    for words in ["Schools shut", "Roads closed", "We have never seen it this high.", "3.2m"]:
        assert words in stored
    assert not errors, errors


def test_blocks_nested_two_deep_all_come_out_of_what_arrives_at_once(live_server, page: Page, roles):
    journalist = User.objects.create_user("jo", password="correct horse battery", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    quay = ImageFactory(alt_text="Boats at the quay")
    article = ArticleFactory(
        status=Article.Status.DRAFT, published_at=None, created_by=journalist, body="<p>Tides.</p>"
    )
    errors = watch_console(page)
    cell = "<table><tbody><tr><td>{}</td></tr></tbody></table>".format

    log_in(page, live_server.url, "jo")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    cursor_at_end_of(page, "Tides.")
    # Content arriving at once, as a paste does: a picture in a cell of a table in a quote; a table in a table.
    quay_picture = f'<figure data-image="{quay.pk}"></figure>'
    for html in [
        f"<blockquote>{cell(quay_picture)}</blockquote>",
        f"<ul><li><p>High water</p>{cell(cell('<p>4.1m</p>'))}</li></ul>",
    ]:
        page.evaluate(
            """html => {
                const { editor } = document.querySelector(".field-body .ProseMirror[contenteditable]")
                editor.commands.insertContentAt(editor.state.doc.content.size, html)
            }""",
            html,
        )

    stored = editor_html(page)
    assert top_level(stored) == ["p", "blockquote", "table", "figure", "ul", "table", "table"], stored
    assert "<td><table" not in stored and "<li><p>High water</p></li>" in stored
    assert not errors, errors
