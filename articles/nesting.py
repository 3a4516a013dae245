"""How deep and how long rich text may be, checked in one linear pass before the sanitiser sees it.

The sanitiser's HTML parser checks the elements open around each new one, so its work grows with the square of
the nesting: a list nested 10,000 deep (180 KB) took seconds to save and again to show. Real stories nest a few
levels (a link in bold in a list in a quote in a table's cell is about ten elements), so every write path refuses
more than MAX_DEPTH elements with a message the editor can act on, and MAX_LENGTH characters, which is three times
the longest long read we publish with its markup (about 150 KB) and keeps every step of a save well under a second.

What reaches the sanitiser anyway (stored before the limit, or written around the model) goes through
`within_depth` first: the HTML made again from its tags, those nested past the limit left out and their words
kept, in linear time, so the sanitiser's parser never sees deeper nesting than we counted.
"""

import re
from html import escape

from django.core.exceptions import ValidationError

MAX_DEPTH = 30
MAX_LENGTH = 500_000

# The HTML elements that have no end (the parser never nests anything in them).
_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
# An element a new one of its kind ends (a paragraph, a list item, a cell, a row…), when it is the innermost.
_ENDED_BY_ITS_KIND = frozenset("p li dt dd tr td th option".split())
# Elements that end an open paragraph, as the HTML parser does.
_ENDS_A_PARAGRAPH = frozenset(
    "address article aside blockquote details dialog div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 "
    "h6 header hgroup hr main menu nav ol p pre section summary table ul".split()
)

# The table parts the parser adds around a row or a cell written straight into a table, by (innermost, new).
_IMPLIED = {
    ("table", "tr"): ("tbody",),
    ("table", "td"): ("tbody", "tr"),
    ("table", "th"): ("tbody", "tr"),
    **{(part, cell): ("tr",) for part in ("tbody", "thead", "tfoot") for cell in ("td", "th")},
}

_SPACE = r"[\t\n\f\r ]"
_NAME = r"[^\t\n\f\r />][^\t\n\f\r /=>]*+"
_VALUE = r"""(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]++)"""
_ATTRIBUTE = re.compile(rf"({_NAME})(?:{_SPACE}*+={_SPACE}*+({_VALUE}))?+")
# A tag as the HTML tokeniser reads it: its name, then attributes up to the first ">" outside a quoted value. Every
# quantifier is possessive: a tag never matched costs one scan to the end of the text, never more.
_TAG = re.compile(rf"<(/?)([A-Za-z][^\t\n\f\r />]*+)((?:[\t\n\f\r /]++|{_ATTRIBUTE.pattern})*+)>")
_COMMENT_END = re.compile(r"--!?>")
# Where markup may start: a tag (group 1), a comment, a declaration, or "</" of no tag. Any other "<" is text.
_MARKUP = re.compile(r"<(/?[A-Za-z])?+(?(1)|[!?/])")


def _attributes(raw: str) -> str:
    made = []
    for found in _ATTRIBUTE.finditer(raw):
        name, value = found.group(1), found.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        made.append(f' {escape(name.lower())}="{value.replace(chr(34), "&quot;")}"')
    return "".join(made)


def _rebuilt(html: str, limit: int) -> tuple[str, int]:
    """The HTML made again from its tags, those nested past `limit` left out (their words kept), and how deep it
    went before that. Comments and declarations are left out; a "<" that starts no tag is text. Every element is
    ended where it ends (misnested end tags close what they skip), so the sanitiser's parser nests what is
    counted here (and the table parts it adds), whatever the text did to mislead a simpler count (an end tag in an
    attribute, an empty comment, an end tag out of its scope)."""
    out, stack, deepest, position = [], [], 0, 0
    open_count: dict[str, int] = {}
    while found := _MARKUP.search(html, position):
        start = found.start()
        out.append(html[position:start].replace("<", "&lt;"))
        tag = _TAG.match(html, start)
        if tag is None:
            if found.group(1):
                return "".join(out), deepest  # a tag never closed: the parser drops it and all after it
            if html.startswith("<!--", start):
                ended = _COMMENT_END.search(html, start + 2)
                position = ended.end() if ended else len(html)
            else:  # a declaration, processing instruction or "</" of no tag: the parser drops it to its ">"
                ended = html.find(">", start)
                position = ended + 1 if ended != -1 else len(html)
            continue
        position = tag.end()
        closing, name = tag.group(1), tag.group(2).lower()
        if closing:
            if not open_count.get(name):
                continue  # closes nothing that is open
            while True:
                opened, kept = stack.pop()
                open_count[opened] -= 1
                if kept:
                    out.append(f"</{opened}>")
                if opened == name:
                    break
            continue
        if stack and (
            (name == stack[-1][0] and name in _ENDED_BY_ITS_KIND) or (stack[-1][0] == "p" and name in _ENDS_A_PARAGRAPH)
        ):
            opened, kept = stack.pop()  # ended as the parser ends it, said in so many words
            open_count[opened] -= 1
            if kept:
                out.append(f"</{opened}>")
        for implied in _IMPLIED.get((stack[-1][0] if stack else "", name), ()):
            implied_kept = len(stack) < limit  # the table parts the parser adds, said in so many words
            if implied_kept:
                out.append(f"<{implied}>")
            stack.append((implied, implied_kept))
            open_count[implied] = open_count.get(implied, 0) + 1
            deepest = max(deepest, len(stack))
        kept = len(stack) < limit
        if kept:
            out.append(f"<{name}{_attributes(tag.group(3))}>")
        if name not in _VOID:
            stack.append((name, kept))
            open_count[name] = open_count.get(name, 0) + 1
            deepest = max(deepest, len(stack))
    out.append(html[position:].replace("<", "&lt;"))
    return "".join(out), deepest


def within_depth(html: str) -> str:
    """The text as the sanitiser may safely read it: nothing nested more than MAX_DEPTH elements deep."""
    return _rebuilt(html or "", MAX_DEPTH)[0]


def validate_rich_text(value) -> None:
    """Refuse rich text too long or too deeply nested to store, before anything parses it further."""
    if not isinstance(value, str):
        return
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            "This text is %(length)s characters long with its formatting; at most %(limit)s characters fit. "
            "Split it in two.",
            code="too_long",
            params={"length": f"{len(value):,}", "limit": f"{MAX_LENGTH:,}"},
        )
    depth = _rebuilt(value, MAX_DEPTH)[1]
    if depth > MAX_DEPTH:
        raise ValidationError(
            "Lists, quotes, tables or boxes here are nested %(depth)s levels deep, more than %(limit)s levels. "
            "Take the innermost ones out of the ones around them (a pasted page often brings this).",
            code="too_deep",
            params={"depth": f"{depth:,}", "limit": MAX_DEPTH},
        )
