from types import SimpleNamespace

from articles.rendering import body_blocks, interleave_body


def insert(kind, position, pk):
    return SimpleNamespace(kind=kind, position=position, pk=pk)


def test_top_level_blocks_are_the_paragraphs_a_journalist_counts():
    html = (
        "<p>One &amp; <strong>two</strong></p><h2>Heading</h2>"
        "<ul><li>a</li><li>b</li></ul><blockquote><p>q</p></blockquote>"
    )

    assert body_blocks(html) == [
        "<p>One &amp; <strong>two</strong></p>",
        "<h2>Heading</h2>",
        "<ul><li>a</li><li>b</li></ul>",
        "<blockquote><p>q</p></blockquote>",
    ]


def test_loose_text_becomes_paragraphs():
    assert body_blocks("Loose <em>words</em><p>para</p>tail") == [
        "<p>Loose <em>words</em></p>",
        "<p>para</p>",
        "<p>tail</p>",
    ]


def test_blocks_are_sanitised_even_if_the_stored_body_was_not():
    assert body_blocks('<p onclick="x()">a<script>alert(1)</script></p>') == ["<p>a</p>"]


def test_figures_and_quotes_stand_after_their_paragraph_and_overflow_goes_to_the_end():
    figure, quote, early, late = insert("f", 1, 1), insert("q", 1, 2), insert("f", 0, 3), insert("q", 99, 4)

    parts = interleave_body("<p>A</p><p>B</p>", figures=[figure, early], quotes=[quote, late])

    assert [(p.kind, getattr(p.value, "pk", p.value)) for p in parts] == [
        ("figure", 3),
        ("html", "<p>A</p>"),
        ("figure", 1),
        ("quote", 2),
        ("html", "<p>B</p>"),
        ("quote", 4),
    ]


def test_an_empty_body_still_shows_its_figures_and_quotes():
    parts = interleave_body("", figures=[insert("f", 3, 1)], quotes=[insert("q", 1, 2)])

    assert [p.kind for p in parts] == ["quote", "figure"]
