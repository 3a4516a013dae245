"""What the admin's article form posts: the fields, the version it was opened at, the inlines' management data."""

import re

ARTICLE_INLINES = ("bylines", "figures", "quotes", "related_links", "corrections")


def inline_management(**counts) -> dict[str, str]:
    data = {}
    for prefix in ARTICLE_INLINES:
        data |= {f"{prefix}-TOTAL_FORMS": str(counts.get(prefix, 0)), f"{prefix}-INITIAL_FORMS": "0"}
    return data


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
