"""A story's blocks as readers see them, made from the small form the body editor stores (articles/sanitize.py).

- A picture from the media library, `<figure data-image="42" data-alt data-credit><figcaption>`, becomes the
  library's picture in its renditions, with the words given in the story or, where none were, the library's.
- A gallery, `<div data-gallery>` of such figures, becomes a row of them a reader swipes or scrolls.
- A table gets its caption (kept as `data-caption`), its header row as `<thead>` with scoped header cells, and a
  scrolling frame of its own so a wide table never widens the page on a phone.
- A fact box, `<aside class="factbox" data-title>`, gets its title as its heading.

Pictures are looked up in one query for all the parts of a page (`with_pictures`), however many blocks it has.
"""

import re
from dataclasses import dataclass, field, replace
from html import escape, unescape
from html.parser import HTMLParser

from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from .rendering import BodyPart


@dataclass(frozen=True)
class PlacedPicture:
    """A library picture placed in a story, with the words given for it there (empty: the library's)."""

    image_id: int
    alt: str = ""
    caption: str = ""
    credit: str = ""
    image: object = None  # the library's Image, once looked up

    @property
    def display_alt(self) -> str:
        return self.alt or (self.image.alt_text if self.image else "")

    @property
    def display_caption(self) -> str:
        return self.caption or (self.image.caption if self.image else "")

    @property
    def display_credit(self) -> str:
        return self.credit or (self.image.credit if self.image else "")


@dataclass(frozen=True)
class Gallery:
    pictures: tuple[PlacedPicture, ...] = field(default_factory=tuple)


class _Tokens(HTMLParser):
    """The sanitiser's output as a list of (kind, tag, attrs, raw) tokens, raw text kept as it was."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, dict, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, {name: value or "" for name, value in attrs}, self.get_starttag_text()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.tokens.append(("end", tag, {}, ""))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag, {}, f"</{tag}>"))

    def handle_data(self, data):
        self.tokens.append(("text", "", {}, data))

    def handle_entityref(self, name):
        self.tokens.append(("text", "", {}, f"&{name};"))

    def handle_charref(self, name):
        self.tokens.append(("text", "", {}, f"&#{name};"))


def _tokens(html: str) -> list[tuple[str, str, dict, str]]:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    return parser.tokens


def _unescaped_text(raw: str) -> str:
    return " ".join(unescape(raw).split())


def _one_line(value: str) -> str:
    """An attribute's words (the parser has already decoded its entities: not decoded twice)."""
    return " ".join(value.split())


def _number(value: str, limit: int) -> int | None:
    """A whole number written in ASCII digits, at most `limit` (a stored body may hold anything a raw post sent)."""
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value or "") and int(value) <= limit else None


def _pictures(tokens) -> list[PlacedPicture]:
    """The library pictures among the tokens, in order, with their captions' text."""
    pictures, current, caption = [], None, None
    for kind, tag, attrs, raw in tokens:
        if kind == "start" and tag == "figure" and _number(attrs.get("data-image", ""), 2**31 - 1) is not None:
            current = {"image_id": int(attrs["data-image"]), "alt": attrs.get("data-alt", "")}
            current["credit"] = attrs.get("data-credit", "")
            current["caption"] = ""
        elif kind == "start" and tag == "figcaption" and current is not None:
            caption = []
        elif kind == "text" and caption is not None:
            caption.append(raw)
        elif kind == "end" and tag == "figcaption" and current is not None:
            current["caption"] = _unescaped_text("".join(caption or []))
            caption = None
        elif kind == "end" and tag == "figure" and current is not None:
            current["alt"] = " ".join(current["alt"].split())
            current["credit"] = " ".join(current["credit"].split())
            pictures.append(PlacedPicture(**current))
            current = None
    return pictures


def _cell_content(tokens) -> str:
    """A cell's markup; the paragraph the editor puts around each cell's text is taken off when it is the only one."""
    raw = "".join(token[3] for token in tokens).strip()
    if raw.startswith("<p>") and raw.endswith("</p>") and raw.count("<p>") == 1:
        return raw[3:-4]
    return raw


def _cell(tag: str, attrs: dict, content: str, scope: str | None) -> str:
    spans = "".join(
        f' {name}="{span}"'
        for name in ("colspan", "rowspan")
        if (span := _number(attrs.get(name, ""), 1000)) is not None and span > 1
    )
    scoped = f' scope="{scope}"' if tag == "th" and scope else ""
    return f"<{tag}{scoped}{spans}>{content}</{tag}>"


def table_html(html: str, number: str) -> str:
    """A table as readers get it: caption, header row in <thead> (scope="col"), header cells further down
    scope="row", in a frame that scrolls sideways on its own (focusable, so it scrolls by keyboard too)."""
    tokens = _tokens(html)
    caption = next((_one_line(attrs.get("data-caption", "")) for kind, tag, attrs, _ in tokens if tag == "table"), "")
    rows, cells, cell, depth = [], None, None, 0
    for token in tokens:
        kind, tag = token[0], token[1]
        if tag == "table":
            depth += 1 if kind == "start" else -1
            continue
        if depth != 1 and cell is None:
            continue
        if cell is not None:
            if kind == "end" and tag == cell[0] and cell[2] == 0:
                cells.append((cell[0], cell[1], _cell_content(cell[3])))
                cell = None
                continue
            if tag == cell[0]:
                cell = (cell[0], cell[1], cell[2] + (1 if kind == "start" else -1), cell[3])
            cell[3].append(token)
        elif kind == "start" and tag == "tr":
            cells = []
        elif kind == "end" and tag == "tr" and cells is not None:
            rows.append(cells)
            cells = None
        elif kind == "start" and tag in {"th", "td"} and cells is not None:
            cell = (tag, token[2], 0, [])
    if not rows:
        return ""
    head = rows[0] if all(tag == "th" for tag, _, _ in rows[0]) else None
    body = rows[1:] if head else rows
    ident = f"table-{number}-caption"
    if caption:
        parts = [f'<div class="table-scroll" role="region" tabindex="0" aria-labelledby="{ident}">']
        parts.append(f'<table><caption id="{ident}">{escape(caption)}</caption>')
    else:
        parts = ['<div class="table-scroll" role="region" tabindex="0" aria-label="Table"><table>']
    if head:
        parts.append("<thead><tr>" + "".join(_cell(*cell, scope="col") for cell in head) + "</tr></thead>")
    parts.append("<tbody>")
    for row in body:
        parts.append("<tr>" + "".join(_cell(*cell, scope="row") for cell in row) + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def fact_box_html(html: str, number: str) -> str:
    """A fact box as readers get it: an aside named by its title, which is its heading."""
    tokens = _tokens(html)
    if not tokens or tokens[0][1] != "aside":
        return html
    title = _one_line(tokens[0][2].get("data-title", ""))
    inner = "".join(token[3] for token in tokens[1:-1])
    ident = f"factbox-{number}"
    if not title:
        return f'<aside class="factbox" aria-label="Fact box">{inner}</aside>'
    return (
        f'<aside class="factbox" aria-labelledby="{ident}"><h2 class="factbox__title" id="{ident}">'
        f"{escape(title)}</h2>{inner}</aside>"
    )


_TITLED = re.compile(r'(<(?:aside|table)\b[^>]*?\bdata-(?:title|caption)="([^"]*)"[^>]*>)')


_BLOCK_END = re.compile(r"</(?:p|li|th|td|h[2-4]|figcaption|blockquote)>")


def words_of(html: str) -> str:
    """A text's words as readers read them, markup taken off (still escaped): the titles of its fact boxes and the
    captions of its tables, which the editor keeps in attributes, included."""
    spaced = _BLOCK_END.sub(r" \g<0>", _TITLED.sub(r"\1 \2. ", html or ""))  # cells' words stay apart
    return " ".join(strip_tags(spaced).split())


def story_blocks(parts: list[BodyPart], *, ids: str = "") -> list[BodyPart]:
    """The story blocks among a text's parts made into what readers see (pictures still to be looked up). `ids`
    starts the ids given to tables' captions and fact boxes' titles: each text on a page needs its own."""
    shown, tables, boxes = [], 0, 0
    for part in parts:
        value = str(part.value) if part.kind == "html" else ""
        if value.startswith("<figure data-image="):
            shown.extend(BodyPart("picture", picture) for picture in _pictures(_tokens(value))[:1])
        elif value.startswith("<div data-gallery"):
            pictures = _pictures(_tokens(value))
            if pictures:
                shown.append(BodyPart("gallery", Gallery(tuple(pictures))))
        elif value.startswith("<table"):
            tables += 1
            if table := table_html(value, f"{ids}{tables}"):
                shown.append(BodyPart("html", mark_safe(table)))  # noqa: S308 (sanitised cells, escaped caption)
        elif value.startswith('<aside class="factbox"'):
            boxes += 1
            shown.append(BodyPart("html", mark_safe(fact_box_html(value, f"{ids}{boxes}"))))  # noqa: S308 (as above)
        else:
            shown.append(part)
    return shown


def picture_ids(parts: list[BodyPart]) -> set[int]:
    ids = set()
    for part in parts:
        if part.kind == "picture":
            ids.add(part.value.image_id)
        elif part.kind == "gallery":
            ids.update(picture.image_id for picture in part.value.pictures)
    return ids


def with_pictures(*part_lists: list[BodyPart]) -> list[list[BodyPart]]:
    """Each list with its pictures and galleries given their library images, in one query for them all; a
    picture no longer in the library is left out (a gallery keeps the rest)."""
    from .models import Image

    ids = set().union(*(picture_ids(parts) for parts in part_lists))
    images = Image.objects.in_bulk(ids) if ids else {}

    def placed(picture):
        image = images.get(picture.image_id)
        return replace(picture, image=image) if image is not None else None

    resolved = []
    for parts in part_lists:
        shown = []
        for part in parts:
            if part.kind == "picture":
                if picture := placed(part.value):
                    shown.append(BodyPart("picture", picture))
            elif part.kind == "gallery":
                pictures = tuple(filter(None, map(placed, part.value.pictures)))
                if pictures:
                    shown.append(BodyPart("gallery", Gallery(pictures)))
            else:
                shown.append(part)
        resolved.append(shown)
    return resolved
