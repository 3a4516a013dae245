"""The one allow-list for article bodies, shared by the editor and every write path."""

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

sanitize_body = create_sanitizer(BODY_EXTENSIONS)
