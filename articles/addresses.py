"""The addresses of articles, sections and authors, without resolving the URLconf for each one.

A page of cards links to a few hundred of them, and `reverse()` costs tens of microseconds a call. The
address for a slug is the one `reverse()` gives for a placeholder, with the slug in the placeholder's place:
worked out once per process (and script prefix, and ROOT_URLCONF), so `reverse()` stays the one source of
truth. A slug that is not plain ASCII letters, digits, hyphens and underscores (which every converter writes
as they are, unquoted) is left to `reverse()`, which quotes it or refuses it. The site sets no URLconf of a
request's own (`request.urlconf`), as `articles.context_processors._site_urls` assumes too.
"""

import re

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

PLACEHOLDER = "slug-placeholder-7d1c"
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+\Z")
_around: dict[tuple, list[str]] = {}  # (URL name, script prefix): the address before and after the slug


def slug_url(name: str, slug: str) -> str:
    """`reverse(name, kwargs={"slug": slug})`, for a route whose only argument is the slug."""
    if not isinstance(slug, str) or not _PLAIN.match(slug):
        return reverse(name, kwargs={"slug": slug})
    key = (name, get_script_prefix())
    around = _around.get(key)
    if around is None:
        around = _around[key] = reverse(name, kwargs={"slug": PLACEHOLDER}).split(PLACEHOLDER)
    if len(around) != 2:  # the slug appears more than once: no shortcut
        return reverse(name, kwargs={"slug": slug})
    return f"{around[0]}{slug}{around[1]}"


@receiver(setting_changed)
def _urlconf_changed(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _around.clear()
