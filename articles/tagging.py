"""Tags and speakers named in any script get readable addresses: /tags/café/, /tags/東京/, /quotes/李明/."""

from django.utils.text import slugify
from taggit.models import Tag

#: Letters and digits of any script, hyphens and underscores: what taggit and our speaker slugs produce.
UNICODE_SLUG = r"[-\w]+"

NO_ADDRESS = "“%(name)s” cannot be a tag: a tag needs at least one letter or digit."


class UnicodeSlugConverter:
    regex = UNICODE_SLUG

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def tag_slug(name: str) -> str:
    """The address taggit gives a new tag of this name (empty when the name has no letter or digit)."""
    return Tag().slugify(name)


def speaker_slug(name: str) -> str:
    """Latin names keep the plain-ASCII addresses they always had (Zoë Müller → zoe-muller); names in other
    scripts keep their letters (山田 花子 → 山田-花子)."""
    return (slugify(name) or slugify(name, allow_unicode=True))[:120] or "unknown"
