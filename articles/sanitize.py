"""The allow-lists for rich text, shared by the editor and every write path.

Two of them: plain text blocks (editions' introductions, pages, a live blog's summary) and a story's, which adds the
blocks a reporter builds a story from: pictures from the media library, galleries, tables with a caption and fact
boxes. What the editor stores for those is the smallest form that says what they are (a picture is its library id
and the words given for it here); the reader's markup is made from it when the page is rendered
(articles/rendering.py), so a better picture element or table later changes every story at once.
"""

from django.urls import reverse_lazy
from django_prose_editor.fields import create_sanitizer

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


sanitize_body = create_sanitizer(BODY_EXTENSIONS)
sanitize_story = create_sanitizer(STORY_EXTENSIONS)
