"""Parts of a page cached on their own ("Russian-doll" caching), each kept until what it shows changes.

A view plans a page's fragments by name (`plan`), which reads all of them, with the newest generation of
what each shows, in one round trip (newsroom/freshness.py). It then loads from the database only what the
missing ones need, and says what each shows (`Plan.shows`). The template wraps each part in
`{% fragment name %}…{% endfragment %}`: a fragment found is written out as it is, so the template code
and queries inside it do not run; one not found is rendered and kept for the next page that shows it.

A fragment's cache key carries the version of the templates, so a deploy with changed templates never shows
a part rendered by the old ones. A page made of fragments depends on every fragment's keys.
"""

import hashlib
from pathlib import Path

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from newsroom import freshness

register = template.Library()


def _templates_version() -> str:
    """A digest of every template and template tag of ours: fragments made by other templates never count."""
    digest = hashlib.sha256()
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [Path(settings.BASE_DIR) / "articles" / "templatetags"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".html", ".py", ".xml", ".txt"}:
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


TEMPLATES_VERSION = _templates_version()


def cache_key(name: str) -> str:
    return f"part:{TEMPLATES_VERSION}:{name}"


class Plan:
    """The fragments one page is made of."""

    def __init__(self, request, names):
        self.request = request
        self.snapshot = getattr(request, "content_snapshot", None)
        self.names = list(dict.fromkeys(names))
        self.keys: dict[str, set[str]] = {}
        if not settings.PARTS_CACHE:  # every part made afresh, and none kept
            self.snapshot = None
        if self.snapshot is not None:
            self.snapshot.load([cache_key(name) for name in self.names])

    def found(self, name: str) -> str | None:
        """The fragment's HTML if it is cached and still good (and the page then depends on what it shows)."""
        if self.snapshot is None or name not in self.names:
            return None
        entry = self.snapshot.entry(cache_key(name))
        if entry is None:
            return None
        freshness.depends_on(self.request, *entry.keys)
        return entry.value

    def missing(self, names=None) -> list[str]:
        return [name for name in (self.names if names is None else names) if self.found(name) is None]

    def shows(self, name: str, keys) -> None:
        """What a fragment about to be made shows (the page shows it too)."""
        self.keys[name] = set(keys)
        freshness.depends_on(self.request, *keys)

    def made(self, name: str, html: str) -> None:
        if self.snapshot is not None and name in self.keys:
            self.snapshot.keep_entry(cache_key(name), html, self.keys[name])


def plan(request, names) -> Plan:
    return Plan(request, names)


class FragmentNode(template.Node):
    def __init__(self, name_parts, nodelist):
        self.name_parts, self.nodelist = name_parts, nodelist

    def render(self, context):
        name = ":".join(str(part.resolve(context)) for part in self.name_parts)
        fragments = context.get("fragments")
        if isinstance(fragments, Plan):
            found = fragments.found(name)
            if found is not None:
                return found
        html = self.nodelist.render(context)
        if isinstance(fragments, Plan):
            fragments.made(name, html)
        return html


@register.tag
def fragment(parser, token):
    """`{% fragment "card" card.pk %}…{% endfragment %}`: the parts are joined with ":" into the fragment's name."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% fragment %} needs a name.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode([parser.compile_filter(bit) for bit in bits], nodelist)


# The header's and footer's own parts: the same on every page, made once for each change of `chrome`.


@register.simple_tag(takes_context=True)
def chrome_part(context, template_name: str):
    """`{% chrome_part "includes/section_nav.html" %}`: the template rendered once for every page until the
    header or footer changes (it must show nothing that differs from page to page)."""

    def render():
        return mark_safe(render_to_string(template_name, context.flatten()))  # noqa: S308 (rendered: escaped)

    return freshness.cached(f"part:{TEMPLATES_VERSION}:{template_name}", render, request=context.get("request"))


@register.filter
def marked_current(html: str, url: str):
    """The navigation with the link to this page's section marked as the current one."""
    if not url:
        return html
    link = f'<a href="{escape(url)}">'
    return mark_safe(html.replace(link, link[:-1] + ' aria-current="page">', 1))  # noqa: S308 (ours, escaped)
