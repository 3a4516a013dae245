"""`{% inline_style "css/site.css" %}`: a stylesheet of ours written into the page's head.

Our one stylesheet is small (about 3 kB compressed): inlined, the first paint waits for no second request,
which on a phone's connection is most of the time to first paint. Read once per process.

The Content-Security-Policy allows no inline style but these, by their hashes (`style_hashes()`, used by
newsroom/security.py): a stylesheet to inline is listed in INLINE_STYLESHEETS.
"""

import base64
import functools
import hashlib

from django import template
from django.contrib.staticfiles import finders
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

INLINE_STYLESHEETS = ("css/site.css", "css/error.css")


@functools.cache
def _read(path: str) -> str:
    if path not in INLINE_STYLESHEETS:
        raise template.TemplateSyntaxError(f"{path} is not in INLINE_STYLESHEETS, so the CSP would block it.")
    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"No static file {path!r} to inline.")
    with open(found, encoding="utf-8") as stylesheet:
        text = stylesheet.read()
    if "</" in text:
        raise template.TemplateSyntaxError(f"{path} cannot be inlined: it contains '</'.")
    return text


@functools.cache
def style_hashes() -> tuple[str, ...]:
    """The CSP sources that allow each inlined stylesheet, e.g. 'sha256-…'."""
    digests = (hashlib.sha256(_read(path).encode()).digest() for path in INLINE_STYLESHEETS)
    return tuple(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)


@register.simple_tag
def inline_style(path: str):
    return format_html("<style>{}</style>", mark_safe(_read(path)))  # noqa: S308 (our own stylesheet, checked)
