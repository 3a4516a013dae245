"""What the admin's article form posts besides the fields: the inline formsets' management data."""

ARTICLE_INLINES = ("bylines", "figures", "quotes", "related_links")


def inline_management(**counts) -> dict[str, str]:
    data = {}
    for prefix in ARTICLE_INLINES:
        data |= {f"{prefix}-TOTAL_FORMS": str(counts.get(prefix, 0)), f"{prefix}-INITIAL_FORMS": "0"}
    return data
