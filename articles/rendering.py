"""Split a sanitised body into its top-level blocks and place figures and quotes between them."""

from dataclasses import dataclass
from html.parser import HTMLParser

from django.utils.safestring import SafeString, mark_safe

from .sanitize import sanitize_story

VOID_ELEMENTS = {"br", "hr", "img", "wbr"}
INLINE_ELEMENTS = {"a", "b", "br", "em", "i", "s", "strong", "sub", "sup", "u", "span", "code", "mark"}


@dataclass(frozen=True)
class BodyPart:
    kind: str  # "html", "figure" or "quote"
    value: object


class _BlockSplitter(HTMLParser):
    """Record where each top-level element starts and ends; loose inline content becomes a paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.depth = 0
        self.blocks: list[tuple[bool, list[str]]] = []  # (is_loose_inline, pieces)

    def _piece(self, text: str, *, opens_block: bool = False, inline: bool = True):
        if self.depth == 0 and (opens_block or not self.blocks or not self.blocks[-1][0]):
            if opens_block or inline:
                self.blocks.append((not opens_block, []))
        if self.blocks:
            self.blocks[-1][1].append(text)

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        top_block = self.depth == 0 and tag not in INLINE_ELEMENTS
        self._piece(raw, opens_block=top_block)
        if tag not in VOID_ELEMENTS:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        self._piece(self.get_starttag_text() or "", opens_block=self.depth == 0 and tag not in INLINE_ELEMENTS)

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        self.depth = max(0, self.depth - 1)
        if self.blocks:
            self.blocks[-1][1].append(f"</{tag}>")
        if self.depth == 0 and self.blocks and not self.blocks[-1][0]:
            self.blocks.append((True, []))  # what follows at top level starts afresh

    def handle_data(self, data):
        if self.depth == 0 and not data.strip():
            return
        self._piece(data)

    def handle_entityref(self, name):
        self._piece(f"&{name};")

    def handle_charref(self, name):
        self._piece(f"&#{name};")


def body_blocks(html: str) -> list[SafeString]:
    """The body's top-level blocks ("paragraphs" to a journalist), each as safe HTML."""
    splitter = _BlockSplitter()
    splitter.feed(sanitize_story(html or ""))
    splitter.close()
    blocks = []
    for is_loose, pieces in splitter.blocks:
        content = "".join(pieces).strip()
        if not content:
            continue
        blocks.append(mark_safe(f"<p>{content}</p>" if is_loose else content))
    while blocks and blocks[-1] == "<p></p>":  # the editor's room to type after a block that ends the text
        blocks.pop()
    return blocks


def interleave_body(html: str, *, figures, quotes) -> list[BodyPart]:
    """Blocks in order, with each figure and quote after the paragraph its position names."""
    blocks = body_blocks(html)
    inserts: dict[int, list[BodyPart]] = {}
    placed = sorted(
        [(f.position, 0, f.pk or 0, BodyPart("figure", f)) for f in figures]
        + [(q.position, 1, q.pk or 0, BodyPart("quote", q)) for q in quotes],
        key=lambda item: item[:3],
    )
    for position, _kind, _pk, part in placed:
        inserts.setdefault(min(position, len(blocks)), []).append(part)
    parts = list(inserts.get(0, []))
    for index, block in enumerate(blocks, start=1):
        parts.append(BodyPart("html", block))
        parts.extend(inserts.get(index, []))
    return parts


def body_parts_of(html: str) -> list[BodyPart]:
    """A text's blocks as parts, nothing placed between them (a live update's, say)."""
    return [BodyPart("html", block) for block in body_blocks(html)]
