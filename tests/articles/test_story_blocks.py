"""The story blocks (pictures and galleries from the media library, tables with a caption, fact boxes) from what the
body editor stores, through the sanitiser, to what readers get; and what they cost a page."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from articles.blocks import PlacedPicture, story_blocks
from articles.models import Article
from articles.rendering import body_parts_of
from articles.sanitize import sanitize_body, sanitize_story
from tests.admin_forms import change_url, form_data, opened_version
from tests.factories import ArticleFactory, FigureFactory, ImageFactory

pytestmark = pytest.mark.django_db


def picture(image, *, alt="", caption="", credit=""):
    attrs = f' data-alt="{alt}"' if alt else ""
    attrs += f' data-credit="{credit}"' if credit else ""
    return (
        f'<figure data-image="{image.pk}"{attrs}>'
        + (f"<figcaption>{caption}</figcaption>" if caption else "")
        + "</figure>"
    )


def gallery(*pictures):
    return '<div data-gallery="">' + "".join(pictures) + "</div>"


TABLE = (
    '<table data-caption="Division One, final table">'
    "<tbody><tr><th><p>Team</p></th><th><p>Played</p></th><th><p>Points</p></th></tr>"
    "<tr><td><p>Wendham Town</p></td><td><p>38</p></td><td><p><strong>81</strong></p></td></tr>"
    '<tr><td colspan="2"><p>Abbey Rovers</p></td><td><p>77</p></td></tr></tbody></table>'
)
FACT_BOX = (
    '<aside class="factbox" data-title="Key dates">'
    "<p>The works run in two stages.</p><ul><li><p>May: bridge shut</p></li></ul></aside>"
)


def page(article) -> str:
    return Client().get(article.get_absolute_url()).content.decode()


class Elements(HTMLParser):
    """Every element's tag and attributes, in order, and the text inside the ones asked for."""

    def __init__(self, html):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def all(self, tag, **attrs):
        return [
            found for name, found in self.elements if name == tag and all(found.get(k) == v for k, v in attrs.items())
        ]


def test_the_sanitiser_keeps_each_block_in_the_form_the_editor_stores_and_nothing_more():
    image = ImageFactory(renditions=False)
    hostile = (
        f'<figure data-image="{image.pk}" data-alt="Flood &quot;gauge&quot;" class="x" onclick="steal()" style="x">'
        '<img src="https://tracker.example/p.gif"><figcaption>Water <em>at</em> the door</figcaption></figure>'
        '<div data-gallery="" data-evil="1" class="gallery"><figure data-image="1"></figure></div>'
        '<aside class="factbox wide" data-title="Facts" id="x"><p>One</p></aside>'
        '<table data-caption="Scores" style="width:1px"><colgroup><col style="min-width:25px"></colgroup>'
        '<tbody><tr><th colspan="1" rowspan="1"><p>A</p></th></tr></tbody></table>'
        '<aside class="related"><p>Not ours</p></aside><div class="any"><p>Loose</p></div>'
    )

    assert sanitize_story(hostile) == (
        f'<figure data-image="{image.pk}" data-alt="Flood &quot;gauge&quot;"><figcaption>Water <em>at</em> the door'
        '</figcaption></figure><div data-gallery=""><figure data-image="1"></figure></div>'
        '<aside class="factbox" data-title="Facts"><p>One</p></aside>'
        '<table data-caption="Scores"><tbody><tr><th colspan="1" rowspan="1"><p>A</p></th></tr></tbody></table>'
        '<aside class=""><p>Not ours</p></aside><div><p>Loose</p></div>'
    )


def test_texts_that_are_not_stories_keep_their_plain_allow_list():
    stored = sanitize_body(picture(ImageFactory(renditions=False), caption="Caption") + TABLE + FACT_BOX)
    assert "<figure" not in stored and "<table" not in stored and "<aside" not in stored
    assert "Wendham Town" in stored and "Key dates" not in stored  # words kept, the blocks' markup not


def test_a_block_inside_a_list_a_quote_a_fact_box_or_a_cell_is_kept_just_after_it():
    quay, pier = ImageFactory(renditions=False), ImageFactory(renditions=False)
    rain = '<table data-caption="Rain"><tbody><tr><td><p>40mm</p></td></tr></tbody></table>'
    written = (
        f"<ul><li><p>Schools shut</p>{picture(quay, caption='At the quay')}</li><li><p>Roads closed</p></li></ul>"
        f"<blockquote>{gallery(picture(quay), picture(pier))}</blockquote>"
        f"<table><tbody><tr><td>{rain}</td><td><p>3.2m</p></td></tr></tbody></table>"
        f'<aside class="factbox" data-title="Help"><p>Call 0800.</p>{picture(pier)}</aside><p>After.</p>'
    )

    stored = sanitize_story(written)

    assert stored == (
        "<ul><li><p>Schools shut</p></li><li><p>Roads closed</p></li></ul>"
        f"{picture(quay, caption='At the quay')}"
        f"<blockquote><p></p></blockquote>{gallery(picture(quay), picture(pier))}"
        f"<table><tbody><tr><td><p></p></td><td><p>3.2m</p></td></tr></tbody></table>{rain}"
        f'<aside class="factbox" data-title="Help"><p>Call 0800.</p></aside>{picture(pier)}<p>After.</p>'
    )
    assert sanitize_story(stored) == stored


def test_blocks_nested_in_blocks_nested_in_another_all_come_out_in_one_pass():
    quay = ImageFactory(renditions=False)
    cell = "<table><tbody><tr><td>{}</td></tr></tbody></table>".format
    written = f"<blockquote>{cell(picture(quay))}</blockquote><ul><li><p>Tides</p>{cell(cell('<p>4.1m</p>'))}</li></ul>"

    stored = sanitize_story(written)

    empty = cell("<p></p>")
    assert stored == (
        f"<blockquote><p></p></blockquote>{empty}{picture(quay)}"
        f"<ul><li><p>Tides</p></li></ul>{empty}{cell('<p>4.1m</p>')}"
    )
    assert sanitize_story(stored) == stored


def test_a_picture_stored_inside_a_list_before_blocks_were_kept_out_shows_as_a_picture():
    quay = ImageFactory(alt_text="Boats at the quay")
    article = ArticleFactory(body="<p>Before.</p>")
    nested = f"<ul><li><p>Schools shut</p>{picture(quay, caption='At the quay')}</li></ul><p>After.</p>"
    Article.objects.filter(pk=article.pk).update(body=nested)  # as an older save stored it

    html = page(Article.objects.get(pk=article.pk))

    [figure] = re.findall(r'<figure class="body-figure">.*?</figure>', html, re.S)
    assert Elements(figure).all("img")[0]["alt"] == "Boats at the quay" and "At the quay" in figure
    assert html.index("Schools shut") < html.index(figure) < html.index("After.")


def test_an_inline_picture_is_the_librarys_picture_in_its_renditions_with_the_storys_words_or_the_librarys():
    harbour = ImageFactory(alt_text="Boats moored in the harbour", caption="Harbour at dawn", credit="Library Photo")
    bridge = ImageFactory(alt_text="The bridge", caption="Library caption", credit="Library credit")
    article = ArticleFactory(
        body="<p>Before.</p>"
        + picture(harbour)
        + picture(bridge, alt="Water over the bridge deck", caption="The bridge on Tuesday", credit="Jo Bloggs")
        + "<p>After.</p>"
    )

    html = page(article)
    body = html[html.index('class="article__body"') :]
    figures = re.findall(r'<figure class="body-figure">.*?</figure>', body, re.S)
    assert len(figures) == 2
    assert body.index("Before.") < body.index(figures[0]) < body.index(figures[1]) < body.index("After.")
    first, second = Elements(figures[0]), Elements(figures[1])
    assert first.all("img")[0]["alt"] == "Boats moored in the harbour"
    assert "Harbour at dawn" in figures[0] and "Photo: Library Photo" in figures[0]
    assert second.all("img")[0]["alt"] == "Water over the bridge deck"
    assert "The bridge on Tuesday" in figures[1] and "Photo: Jo Bloggs" in figures[1]
    assert "Library caption" not in figures[1] and "Library credit" not in figures[1]
    # Responsive renditions, as the lead image has: WebP and the fallback, each at every built width.
    [source] = first.all("source", type="image/webp")
    widths = [int(w) for w in re.findall(r" (\d+)w", source["srcset"])]
    assert widths == sorted(harbour.built_widths) and len(widths) > 1
    assert first.all("img")[0]["sizes"] and first.all("img")[0]["width"] and first.all("img")[0]["height"]


def test_a_picture_no_longer_in_the_library_is_left_out_and_the_story_still_shows():
    gone = ImageFactory(renditions=False)
    kept = ImageFactory()
    article = ArticleFactory(body="<p>Text.</p>" + picture(gone) + gallery(picture(gone), picture(kept)))
    gone.delete()

    response = Client().get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="body-figure"' not in html and "1 of 1" in html and "Text." in html


def test_a_gallery_is_its_pictures_in_order_with_captions_and_counts_in_a_row_that_scrolls():
    images = [ImageFactory(alt_text=f"Picture {n}", caption=f"Library caption {n}") for n in range(1, 4)]
    article = ArticleFactory(
        body=gallery(picture(images[2]), picture(images[0], caption="Crowds at the final whistle"), picture(images[1]))
    )

    html = page(article)
    [section] = re.findall(r'<section class="gallery".*?</section>', html, re.S)
    elements = Elements(section)
    assert elements.all("section")[0]["aria-label"] == "Gallery of 3 pictures"
    row = elements.all("ul")[0]
    assert row["class"] == "gallery__row" and row["tabindex"] == "0" and row["aria-label"]
    assert [img["alt"] for img in elements.all("img")] == ["Picture 3", "Picture 1", "Picture 2"]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", section, re.S)
    assert "1 of 3" in captions[0] and "Library caption 3" in captions[0]
    assert "Crowds at the final whistle" in captions[1] and "Library caption 1" not in captions[1]
    assert re.search(r'<script type="module" src="/static/articles/gallery(\.\w+)?\.js"></script>', html)


def test_a_table_gets_its_caption_a_header_row_with_scopes_and_a_frame_that_scrolls_on_a_phone():
    article = ArticleFactory(body="<p>The final standings:</p>" + TABLE)

    html = page(article)
    [frame] = re.findall(r'<div class="table-scroll".*?</div>', html, re.S)
    assert frame == (
        '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="table-1-caption">'
        '<table><caption id="table-1-caption">Division One, final table</caption>'
        '<thead><tr><th scope="col">Team</th><th scope="col">Played</th><th scope="col">Points</th></tr></thead>'
        "<tbody><tr><td>Wendham Town</td><td>38</td><td><strong>81</strong></td></tr>"
        '<tr><td colspan="2">Abbey Rovers</td><td>77</td></tr></tbody></table></div>'
    )


def test_a_table_without_a_header_row_or_caption_is_still_named_and_keeps_header_cells_scoped_to_rows():
    stored = sanitize_story(
        "<table><tbody><tr><th><p>Turnout</p></th><td><p>41%</p></td></tr>"
        "<tr><th><p>Spoilt</p></th><td><p>Two</p><p>papers</p></td></tr></tbody></table>"
    )
    [part] = story_blocks(body_parts_of(stored))
    assert str(part.value) == (
        '<div class="table-scroll" role="region" tabindex="0" aria-label="Table"><table><tbody>'
        '<tr><th scope="row">Turnout</th><td>41%</td></tr>'
        '<tr><th scope="row">Spoilt</th><td><p>Two</p><p>papers</p></td></tr></tbody></table></div>'
    )


def test_a_fact_box_is_an_aside_named_by_its_title_and_each_text_on_a_page_gets_its_own_ids():
    [box] = story_blocks(body_parts_of(sanitize_story(FACT_BOX)), ids="u7-")
    assert str(box.value) == (
        '<aside class="factbox" aria-labelledby="factbox-u7-1"><h2 class="factbox__title" id="factbox-u7-1">'
        "Key dates</h2><p>The works run in two stages.</p><ul><li><p>May: bridge shut</p></li></ul></aside>"
    )


def test_words_given_in_the_blocks_are_shown_as_text_never_as_markup():
    image = ImageFactory()
    escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    body = (
        f'<figure data-image="{image.pk}" data-alt="{escaped}" data-credit="{escaped}"><figcaption>{escaped}'
        f'</figcaption></figure><table data-caption="{escaped}"><tbody><tr><td><p>x</p></td></tr></tbody></table>'
        f'<aside class="factbox" data-title="{escaped}"><p>y</p></aside>'
    )
    html = page(ArticleFactory(body=body))
    article_body = html[html.index('class="article__body"') : html.index("</article>")]
    assert "<script>alert" not in article_body and "onerror=alert(2)>" not in article_body
    assert article_body.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5  # alt, credit, caption, table, box


def test_figures_placed_after_a_paragraph_still_count_blocks_as_paragraphs():
    image, placed = ImageFactory(), ImageFactory(alt_text="Placed after the table")
    article = ArticleFactory(body="<p>One.</p>" + TABLE + picture(image) + "<p>Four.</p>")
    FigureFactory(article=article, image=placed, position=2)  # after the table, the story's second block

    html = page(article)
    assert html.index("Division One") < html.index("Placed after the table") < html.index(f'alt="{image.alt_text}"')


@pytest.mark.parametrize("n", [1, 5])
def test_a_story_with_pictures_and_galleries_costs_one_query_more_however_many(django_assert_num_queries, n):
    images = [ImageFactory() for _ in range(n + 1)]
    body = "".join(picture(image) + "<p>Text.</p>" for image in images[:n])
    body += "".join(gallery(*(picture(image) for image in images)) for _ in range(n)) + TABLE + FACT_BOX
    article = ArticleFactory(body=body)
    plain = ArticleFactory(body="<p>No blocks here.</p>")
    Client().get(plain.get_absolute_url())  # the related news of both, warmed alike

    with django_assert_num_queries(3):  # as a story without them (tests/articles/test_pages.py), and the pictures
        response = Client().get(article.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="body-figure"') == n and html.count('class="gallery"') == n


def test_a_changed_library_picture_shows_at_once_on_the_stories_showing_it(settings):
    image = ImageFactory(alt_text="Before the change")
    article = ArticleFactory(body=picture(image))
    assert "Before the change" in page(article)

    image.alt_text = "After the change"
    image.save()
    assert "After the change" in page(article)


def test_the_words_a_story_gives_fall_back_to_the_librarys_one_by_one():
    image = ImageFactory.build(alt_text="Library alt", caption="Library caption", credit="Library credit")
    given = PlacedPicture(image_id=1, caption="Our caption", image=image)
    assert (given.display_alt, given.display_caption, given.display_credit) == (
        "Library alt",
        "Our caption",
        "Library credit",
    )


def test_a_story_saved_through_the_admin_form_keeps_its_blocks(admin_client):
    image = ImageFactory()
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    body = (
        "<p>Intro.</p>"
        + picture(image, caption="Given here")
        + TABLE
        + FACT_BOX
        + gallery(picture(image), picture(image))
    )
    opened = admin_client.get(change_url(article))
    assert "articles/editor/blocks.js" in opened.content.decode()  # the editor offers the blocks
    response = admin_client.post(
        change_url(article), form_data(article, opened_version(opened.content.decode()), body=body)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert article.body == sanitize_story(body) == body


def test_the_editors_picker_lists_the_library_newest_first_searches_pages_and_names_pictures(client, roles):
    from django.contrib.auth.models import Group, User

    from articles.admin import ImageAdmin

    journalist = User.objects.create_user("jo", password="x", is_staff=True)
    journalist.groups.add(Group.objects.get(name="Journalist"))
    client.force_login(journalist)
    images = [ImageFactory(alt_text=f"Harbour view {n}", renditions=False) for n in range(ImageAdmin.PICKER_PAGE_SIZE)]
    bridge = ImageFactory(alt_text="Abbey Bridge at night", caption="The bridge", credit="Jo Bloggs")

    first = client.get("/admin/articles/image/picker/").json()
    assert (first["page"], first["pages"], first["add"]) == (1, 2, "/admin/articles/image/add/")
    assert first["results"][0] == {
        "id": bridge.pk,
        "thumbnail": bridge.renditions("jpg")[0].url,
        "alt": "Abbey Bridge at night",
        "caption": "The bridge",
        "credit": "Jo Bloggs",
        "width": bridge.width,
        "height": bridge.height,
    }
    assert len(client.get("/admin/articles/image/picker/?page=2").json()["results"]) == 1
    assert client.get("/admin/articles/image/picker/?page=99").json()["page"] == 2  # past the end: the last page
    assert client.get("/admin/articles/image/picker/?page=x").json()["page"] == 1
    found = client.get("/admin/articles/image/picker/", {"q": "  bridge  "}).json()["results"]
    assert [picture["id"] for picture in found] == [bridge.pk]
    named = client.get("/admin/articles/image/picker/", {"ids": f"{images[3].pk},nope,{bridge.pk},999999"}).json()
    assert [picture["id"] for picture in named["results"]] == [images[3].pk, bridge.pk]


def test_an_embeds_thumbnail_is_not_offered_to_stories_not_even_by_its_number(admin_client):
    from embeds.models import Embed

    picture = ImageFactory(alt_text="Harbour wall after the storm", renditions=False)
    kept = ImageFactory(alt_text="Harbour wall, from the video", renditions=False)
    Embed.objects.create(url="https://www.youtube.com/watch?v=Kx7Rf2pQm0A", provider="youtube", thumbnail=kept)

    listed = admin_client.get("/admin/articles/image/picker/").json()["results"]
    found = admin_client.get("/admin/articles/image/picker/", {"q": "harbour wall"}).json()["results"]
    named = admin_client.get("/admin/articles/image/picker/", {"ids": f"{kept.pk},{picture.pk}"}).json()["results"]
    chooser = [
        admin_client.get(
            "/admin/autocomplete/",
            {"term": "harbour wall", "app_label": "articles", "model_name": model, "field_name": field},
        ).json()["results"]
        for model, field in [("article", "lead_image"), ("figure", "image"), ("author", "photo")]
    ]

    assert [item["id"] for item in listed] == [item["id"] for item in found] == [picture.pk]
    assert [item["id"] for item in named] == [picture.pk]  # as the list has it: the editor says "not in the library"
    assert chooser == [[{"id": str(picture.pk), "text": str(picture)}]] * 3
    assert str(kept) in admin_client.get("/admin/articles/image/").content.decode()  # the library still lists it


def test_a_forged_choice_of_an_embeds_thumbnail_is_refused_by_the_story_and_author_forms(admin_client):
    from embeds.models import Embed

    picture = ImageFactory(alt_text="Harbour wall after the storm", renditions=False)
    kept = ImageFactory(alt_text="Harbour wall, from the video", renditions=False)
    Embed.objects.create(url="https://www.youtube.com/watch?v=Kx7Rf2pQm0A", provider="youtube", thumbnail=kept)
    article = ArticleFactory(lead_image=picture)
    version = opened_version(admin_client.get(change_url(article)).content.decode())
    figure = {
        "figures-TOTAL_FORMS": "1",
        "figures-0-image": str(kept.pk),
        "figures-0-caption": "From the video",
        "figures-0-position": "1",
    }

    as_lead = admin_client.post(change_url(article), form_data(article, version, lead_image=kept.pk))
    as_figure = admin_client.post(change_url(article), form_data(article, version, **figure))
    as_photo = admin_client.post(
        "/admin/articles/author/add/", {"name": "Ana Reporter", "slug": "ana", "photo": kept.pk}
    )

    for response in (as_lead, as_figure, as_photo):
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    article.refresh_from_db()
    assert article.lead_image == picture and not article.figures.exists()
    assert admin_client.post(change_url(article), form_data(article, version, lead_image=picture.pk)).status_code == 302


def test_a_story_keeps_an_embeds_thumbnail_it_took_up_before_the_choosers_hid_them(admin_client):
    from embeds.models import Embed

    kept = ImageFactory(alt_text="Harbour wall, from the video", renditions=False)
    Embed.objects.create(url="https://www.youtube.com/watch?v=Kx7Rf2pQm0A", provider="youtube", thumbnail=kept)
    article = ArticleFactory(lead_image=kept)
    version = opened_version(admin_client.get(change_url(article)).content.decode())

    saved = admin_client.post(change_url(article), form_data(article, version, lead_image=kept.pk, headline="New"))

    assert saved.status_code == 302
    article.refresh_from_db()
    assert article.headline == "New" and article.lead_image == kept


def test_the_picker_offers_an_upload_only_to_those_who_may_add_pictures(client):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_image"))
    client.force_login(viewer)

    assert client.get("/admin/articles/image/picker/").json()["add"] is None


def test_the_picker_is_for_staff_who_may_see_the_library(client, roles):
    from django.contrib.auth.models import Group, User

    assert client.get("/admin/articles/image/picker/").status_code == 302  # to the sign-in page
    audience = User.objects.create_user("aud", password="x", is_staff=True)
    audience.groups.add(Group.objects.get(name="Audience"))
    client.force_login(audience)
    assert client.get("/admin/articles/image/picker/").status_code == 403


def test_searching_finds_a_story_by_its_fact_box_title_and_table_caption(client):
    from articles.blocks import words_of
    from articles.search import index_articles

    article = ArticleFactory(body="<p>Intro.</p>" + TABLE + FACT_BOX)
    index_articles([article])
    assert words_of(article.body).startswith("Intro. Division One, final table. Team Played Points Wendham Town 38 81")
    assert "Key dates. The works run" in words_of(article.body)
    for words in ["final table", "key dates", "Played"]:
        assert article.headline in client.get("/search/", {"q": words}).content.decode()


def test_numbers_a_raw_post_could_store_give_no_error_and_words_are_decoded_once():
    stored = (
        '<figure data-image="²"><figcaption>x</figcaption></figure>'
        '<table data-caption="Jones&amp;partners &amp;lt;p&amp;gt;"><tbody><tr><td colspan="²"><p>a</p></td>'
        f'<td rowspan="{"9" * 5000}"><p>b</p></td></tr></tbody></table>'
        '<aside class="factbox" data-title="Use &amp;lt;p&amp;gt;"><p>c</p></aside>'
    )
    response = Client().get(ArticleFactory(body=stored).get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>a</td><td>b</td>" in html
    assert ">Jones&amp;partners &amp;lt;p&amp;gt;</caption>" in html  # as typed: "&lt;p&gt;" in words
    assert ">Use &amp;lt;p&amp;gt;</h2>" in html
