"""articles_tags.fill: the cards' and pictures' quick `format_html`, which must give exactly what it gives."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from articles.templatetags.articles_tags import fill

MARKUP = '<a href="{}" title="{title}">{}</a>'
values = st.one_of(
    st.text(),
    st.text().map(mark_safe),
    st.integers(),
    st.none(),
    st.sampled_from([gettext_lazy("Home"), mark_safe("<b>safe</b>"), "<script>&'\"", 3.5]),
)


@given(values, values, values)
def test_fill_gives_what_format_html_gives_for_any_value(first, second, title):
    filled = fill(MARKUP, first, second, title=title)
    assert filled == format_html(MARKUP, first, second, title=title)
    assert isinstance(filled, SafeString)


def test_fill_escapes_what_is_not_marked_safe_and_keeps_what_is():
    assert fill("<p>{}{}</p>", "<i>&'\"", mark_safe("<b>bold</b>")) == "<p>&lt;i&gt;&amp;&#x27;&quot;<b>bold</b></p>"
