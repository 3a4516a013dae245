"""The allow-lists for rich text, shared by the editor and every write path.

Two of them: plain text blocks (editions' introductions, pages, a live blog's summary) and a story's, which adds the
blocks a reporter builds a story from: pictures from the media library, galleries, tables with a caption and fact
boxes. What the editor stores for those is the smallest form that says what they are (a picture is its library id
and the words given for it here); the reader's markup is made from it when the page is rendered
(articles/rendering.py), so a better picture element or table later changes every story at once.
"""

import re
from html.parser import HTMLParser

from django.urls import reverse_lazy
from django_prose_editor.fields import create_sanitizer

from .nesting import within_depth

#: What the body editor offers; the sanitiser allows exactly the HTML these produce.
BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto", "tel"]},
    "NoSpellCheck": False,  # journalists want the browser's spell-checker
}

#: A story's text (articles, live updates): the above and the story blocks (static/articles/editor/blocks.js).
STORY_EXTENSIONS = {
    **BODY_EXTENSIONS,
    # The editor asks the media library for pictures (articles/admin.py: ImageAdmin.picker_view).
    "LibraryPicture": {"picker": reverse_lazy("admin:articles_image_picker")},
    "LibraryGallery": {"picker": reverse_lazy("admin:articles_image_picker")},
    "FactBox": True,
    "EmbedLinks": True,  # marks a provider's link on a line of its own; the table is added per form (models.py)
    "StoryTable": True,
    "TableRow": True,
    "TableHeader": True,
    "TableCell": True,
}


_clean_body = create_sanitizer(BODY_EXTENSIONS)
_clean_story = create_sanitizer(STORY_EXTENSIONS)


def sanitize_body(html: str) -> str:
    """Text through the body allow-list, never nested deeper than the limit (articles/nesting.py)."""
    return _clean_body(within_depth(html))


def sanitize_story(html: str) -> str:
    """A story's text through its allow-list, its blocks at the top level (as the editor keeps them), never nested
    deeper than the limit (articles/nesting.py)."""
    return blocks_at_top_level(_clean_story(within_depth(html)))


_MAYBE_BLOCK = re.compile(r"<(?:figure|div|table|aside)\b")
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"}
_LEFT_EMPTY = re.compile(r"<(li|blockquote|td|th)(\s[^>]*)?>\s*</\1>")


def _is_story_block(tag: str, attrs: dict) -> bool:
    return (
        (tag == "figure" and "data-image" in attrs)
        or (tag == "div" and "data-gallery" in attrs)
        or tag == "table"
        or (tag == "aside" and attrs.get("class") == "factbox")
    )


class _NestedBlocks(HTMLParser):
    """Each top-level element's end, with the story blocks inside it (the outermost of them) as (start, end)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0] + [found.end() for found in re.finditer("\n", html)]
        self.stack: list[tuple[str, dict]] = []
        self.lifting: tuple[int, int] | None = None  # (depth, start) of the block being passed over
        self.inside: list[tuple[int, int]] = []
        self.tops: list[tuple[int, list[tuple[int, int]]]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        attrs = dict(attrs)
        in_gallery = tag == "figure" and self.stack and "data-gallery" in self.stack[-1][1]
        if self.lifting is None and self.stack and _is_story_block(tag, attrs) and not in_gallery:
            self.lifting = (len(self.stack), self._offset())
        self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in _VOID or not self.stack:
            return
        self.stack.pop()
        end = self._offset() + len(f"</{tag}>")
        if self.lifting and len(self.stack) == self.lifting[0]:
            self.inside.append((self.lifting[1], end))
            self.lifting = None
        if not self.stack:
            self.tops.append((end, self.inside))
            self.inside = []


def blocks_at_top_level(html: str) -> str:
    """A picture, gallery, table or fact box inside another block (a list, a quote, a table's cell: text from
    before the editor kept them out, or written as HTML) moved to just after that block, where readers' pages make
    them from (articles/blocks.py). A list item, quote or cell left with nothing keeps an empty paragraph."""
    if not html or not _MAYBE_BLOCK.search(html):
        return html
    for _ in range(10):  # a block moved out may hold another (a picture in a cell of a table in a quote)
        moved = _moved_out(html)
        if moved == html:
            break
        html = moved
    return html


def _moved_out(html: str) -> str:
    """One pass: the outermost blocks inside each top-level element moved to just after it."""
    finder = _NestedBlocks(html)
    finder.feed(html)
    finder.close()
    if not any(inside for _end, inside in finder.tops):
        return html
    out, position = [], 0
    for end, inside in finder.tops:
        if not inside:
            continue
        left = []
        for start, stop in inside:
            left.append(html[position:start])
            position = stop
        left.append(html[position:end])
        position = end
        out.append(_LEFT_EMPTY.sub(lambda found: found[0].replace("</", "<p></p></", 1), "".join(left)))
        out.extend(html[start:stop] for start, stop in inside)
    out.append(html[position:])
    return "".join(out)
