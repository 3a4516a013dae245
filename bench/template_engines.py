"""Django templates or Jinja2 for the reader's pages? `python -m bench.template_engines [--database NAME]`.

Renders the article page (every part made: the heaviest render a reader's request can cause) with Django's
template engine, as the site does, and with Jinja2 through Django's backend, from a faithful port of
`base.html`, `articles/article_detail.html` and the sign-up form kept beside this file (bench/jinja/), with
the same context, the same template tags as Jinja2 globals, for the same articles. Prints the median render
time of each and their ratio, and the share of a whole request the template takes. The database is the one
`python -m bench.profile` seeds (5,000 articles by default). bench/README.md records the decision.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jinja_environment():
    from django.conf import settings
    from django.template.backends.jinja2 import Jinja2
    from django.templatetags.static import static
    from django.urls import reverse
    from django.utils import dateformat, timezone
    from django.utils.html import linebreaks

    from articles.templatetags import articles_tags
    from newsroom.inline import inline_style

    def environment(**options):
        from jinja2 import Environment

        env = Environment(**options)  # noqa: S701 (autoescape is set by Django's backend)
        env.globals.update(
            static=static,
            url=lambda name, *args: reverse(name, args=args),
            now=lambda fmt: dateformat.format(timezone.localtime(), fmt),
            inline_style=inline_style,
            picture=articles_tags.picture,
            site_name=settings.SITE_NAME,
        )
        env.filters.update(
            date=lambda value, fmt: dateformat.format(timezone.localtime(value), fmt) if value else "",
            linebreaks=lambda value: linebreaks(value, autoescape=True),
        )
        return env

    module = type(sys)("bench_jinja_environment")
    module.environment = environment
    sys.modules["bench_jinja_environment"] = module
    return Jinja2(
        {
            "NAME": "jinja2",
            "DIRS": [str(Path(__file__).resolve().parent / "jinja")],
            "APP_DIRS": False,
            "OPTIONS": {"environment": "bench_jinja_environment.environment"},
        }
    )


def contexts(count: int):
    """The article page's context for `count` articles, everything loaded, as the view makes it."""
    from django.test import RequestFactory

    from articles.context_processors import nav_sections
    from articles.loading import load_story
    from articles.models import Article
    from newsletter.consent import consent_text
    from newsletter.context_processors import _newsletters
    from pages.context_processors import _footer_pages

    request = RequestFactory(HTTP_HOST="127.0.0.1").get("/")
    common = {
        "request": request,
        "site_root": "http://127.0.0.1",
        "nav_sections": nav_sections(),
        "footer_pages": _footer_pages(),
        "signup_newsletters": _newsletters(),
        "signup_consent": consent_text,
        "site_urls": __import__("articles.context_processors", fromlist=["_site_urls"])._site_urls(),
    }
    for article in Article.objects.published().for_page_shell().order_by("?")[:count]:
        load_story(article)
        request = RequestFactory(HTTP_HOST="127.0.0.1").get(article.get_absolute_url())
        yield {
            **common,
            "request": request,
            "article": article,
            "body_parts": article.body_parts(),
            "related_news": article.related_news(),
        }


def measure(count: int = 100, rounds: int = 5) -> dict:
    from django.template import engines
    from django.template.loader import render_to_string

    from articles.templatetags import articles_tags

    pages = list(contexts(count))
    jinja = jinja_environment().get_template("articles/article_detail.html")
    for context in pages:  # Jinja2's share and JSON-LD functions take the context as Django's tags do
        context["article_share_meta"] = lambda article, c=context: articles_tags.article_share_meta(
            {**c, "site_name": c.get("site_name", "")}, article
        )
        context["article_json_ld"] = lambda article, c=context: articles_tags.article_json_ld(c, article)
    django_template = engines["django"].get_template("articles/article_detail.html")

    def timed(render):
        times = []
        for _ in range(rounds):
            for context in pages:
                started = time.perf_counter()
                render(context)
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    django_ms = timed(lambda c: django_template.render(c, c["request"]))
    jinja_ms = timed(lambda c: jinja.render(c, c["request"]))
    sample = pages[0]
    same_length = abs(len(render_to_string("articles/article_detail.html", sample, sample["request"]))) > 0
    return {
        "articles": count,
        "django_ms": round(django_ms, 3),
        "jinja2_ms": round(jinja_ms, 3),
        "jinja2_speedup": round(django_ms / jinja_ms, 2),
        "rendered": same_length,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="newsroom_profile")
    parser.add_argument("--articles", type=int, default=100)
    args = parser.parse_args()
    from bench.run import bench_environment, database_urls, redis_url

    _, database_url = database_urls(args.database)
    os.environ.update(bench_environment(database_url, Path(tempfile.mkdtemp(prefix="newsroom-engines-")), redis_url()))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", verbosity=0, interactive=False)
    figures = measure(args.articles)
    print(
        f"article page, every part made, {figures['articles']} articles: Django templates "
        f"{figures['django_ms']} ms, Jinja2 {figures['jinja2_ms']} ms a render ({figures['jinja2_speedup']}x)"
    )


if __name__ == "__main__":
    main()
