"""Text that must stay on one line (an email's subject, a headline) or be XML (feeds, sitemaps).

Browsers drop line breaks from a one-line text box, so a line break there comes from a forged or scripted form,
and in an email header it would start a header of the sender's choosing: `validate_one_line` refuses it with a
clear message, and `one_line` folds whatever is already stored before it reaches a header. Control characters
pasted from word processors are invisible and XML 1.0 cannot carry them: `xml_safe` drops them.
"""

import re

from django.core.exceptions import ValidationError

# Characters XML 1.0 cannot carry: dropped rather than failing the document.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Line breaks (Unicode's too) and control characters other than the tab.
NOT_ON_ONE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def xml_safe(text):
    return NOT_IN_XML.sub("", text) if isinstance(text, str) else text


def one_line(text: str) -> str:
    """The text with every run of white space (line breaks included) as one space and control characters gone."""
    return " ".join(NOT_ON_ONE_LINE.sub(" ", text).split())


def validate_one_line(value) -> None:
    if isinstance(value, str) and (found := NOT_ON_ONE_LINE.search(value)):
        what = "a line break" if found.group() in "\r\n\x85\u2028\u2029" else "an invisible control character"
        before = one_line(value[: found.start()])[-30:]
        raise ValidationError(
            "This must be one line of text: remove %(what)s %(where)s.",
            code="one_line",
            params={"what": what, "where": f"after “{before}”" if before else "at the start"},
        )
