"""What the sanitiser lets through for each story block of the body editor (static/articles/editor/blocks.js).

Named, with the editor's module, in settings.DJANGO_PROSE_EDITOR_EXTENSIONS; kept free of models and of anything
that reads settings when imported, since the settings import it.
"""

from django_prose_editor.config import add_allowed_classes, add_tags_and_attributes


def allow_picture(config, allowlist):
    """<figure data-image="42" data-alt data-credit><figcaption>caption</figcaption></figure>"""
    add_tags_and_attributes(allowlist, ["figure", "figcaption"], {"figure": ["data-image", "data-alt", "data-credit"]})


def allow_gallery(config, allowlist):
    """<div data-gallery> holding pictures as above."""
    allow_picture(config, allowlist)
    add_tags_and_attributes(allowlist, ["div"], {"div": ["data-gallery"]})


def allow_fact_box(config, allowlist):
    """<aside class="factbox" data-title="Key dates">paragraphs, lists and headings</aside>"""
    add_tags_and_attributes(allowlist, ["aside"], {"aside": ["data-title"]})
    add_allowed_classes(allowlist, {"aside": ["factbox"]})


def allow_table(config, allowlist):
    """Tiptap's table (a header row of <th>, cells holding paragraphs) and its caption, kept as data-caption."""
    add_tags_and_attributes(
        allowlist,
        ["table", "tbody", "thead", "tr", "th", "td"],
        {"table": ["data-caption"], "th": ["colspan", "rowspan"], "td": ["colspan", "rowspan"]},
    )


def allow_nothing(config, allowlist):
    """An extension that only shows something in the editor."""
