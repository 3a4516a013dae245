"""What the admin's article form posts: the fields, the version it was opened at, the inlines' management data."""

import re
from html import unescape
from html.parser import HTMLParser

ARTICLE_INLINES = ("bylines", "figures", "quotes", "related_links", "corrections")


def inline_management(**counts) -> dict[str, str]:
    data = {}
    for prefix in ARTICLE_INLINES:
        data |= {f"{prefix}-TOTAL_FORMS": str(counts.get(prefix, 0)), f"{prefix}-INITIAL_FORMS": "0"}
    return data


def article_form(section, **overrides) -> dict[str, str]:
    """A new article's form as the add page posts it."""
    return {
        "headline": "Council tax to rise by five per cent",
        "slug": "council-tax-rise",
        "standfirst": "The increase is the largest in a decade.",
        "body": "<p>Text.</p>",
        "section": section.pk,
        "tags": "",
        **inline_management(),
        **overrides,
    }


def change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def opened_version(html: str) -> str:
    return re.search(r'name="opened_version" value="(\d+)"', html).group(1)


def form_data(article, version, **changes):
    return {
        "headline": article.headline,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "section": article.section_id,
        "status": article.status,
        "published_at_0": article.published_at.strftime("%Y-%m-%d") if article.published_at else "",
        "published_at_1": article.published_at.strftime("%H:%M:%S") if article.published_at else "",
        "tags": "",
        "opened_version": version,
        **inline_management(),
        **changes,
    }


class _FormValues(HTMLParser):
    """What a browser would submit from a page's main form: inputs, textareas and selected options."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea = self._select = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file", "checkbox", "radio"}:
            self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "input" and name and attrs.get("type") in {"checkbox", "radio"} and "checked" in attrs:
            self.values.setdefault(name, []).append(attrs.get("value") or "on")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values.setdefault(self._select, []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.values.setdefault(self._textarea, []).append(unescape("".join(self._text)).lstrip("\n"))
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_values(html: str) -> dict[str, list[str]]:
    parser = _FormValues()
    parser.feed(html)
    return parser.values
