"""Original demo content: sections, authors, generated pictures, articles with quotes and figures.

Idempotent: everything is looked up by its natural key first, so a second run changes nothing.
"""

import io
import random
from datetime import time, timedelta

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

from articles import demo_content as demo
from articles.models import Article, Author, Byline, Correction, Figure, Image, Quote, RelatedArticle, Section
from articles.search import index_articles
from articles.services import image_create
from embeds.models import Embed
from newsletter.models import Newsletter, Subscriber, Subscription
from pages.models import Page

DEMO_PASSWORD = "newsroom-demo"
DEMO_USERS = [
    # username, group, is_superuser
    ("admin", None, True),
    ("editor", "Editor", False),
    ("journalist", "Journalist", False),
    ("reporter", "Journalist", False),
    ("audience", "Audience", False),
]
# The demo authors the journalists write as: both are on the Abbey Bridge story, so they can run its live blog.
DEMO_AUTHOR_OF = {"journalist": "helen-marsh", "reporter": "sian-whitlock"}
DEMO_SUBSCRIBERS = 24


class Command(BaseCommand):
    help = "Create the demo newsroom (idempotent). Staff accounts are created only when DEBUG is on."

    def handle(self, *args, **options):
        with transaction.atomic():
            created = self.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} new objects)."))
        if settings.DEBUG:
            self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'): " + ", ".join(u for u, _, _ in DEMO_USERS))
        else:
            self.stdout.write("DEBUG is off: no demo staff accounts were created.")

    def seed(self) -> int:
        created = 0
        sections = {}
        for data in demo.SECTIONS:
            sections[data["slug"]], new = Section.objects.get_or_create(slug=data["slug"], defaults=data)
            created += new
        for data in demo.PAGES:
            created += Page.objects.get_or_create(slug=data["slug"], defaults=data)[1]
        authors = {}
        for data in demo.AUTHORS:
            authors[data["slug"]], new = Author.objects.get_or_create(slug=data["slug"], defaults=data)
            created += new
        images = {}
        for index, data in enumerate(demo.IMAGES):
            image = Image.objects.filter(alt_text=data["alt_text"]).first()
            if image is None:
                image = image_create(
                    file=SimpleUploadedFile(f"{data['key']}.jpg", draw_scene(data["scene"], seed=index)),
                    alt_text=data["alt_text"],
                    caption=data["caption"],
                    credit=data["credit"],
                )
                created += 1
            images[data["key"]] = image
        if settings.DEBUG:
            created += self.seed_users(authors)
            created += self.seed_subscribers(now=timezone.now())

        now = timezone.now().replace(second=0, microsecond=0)
        articles = {}
        for data in demo.ARTICLES:
            article = Article.objects.filter(slug=data["slug"]).first()
            if article is None:
                with reversion.create_revision():
                    reversion.set_comment("Demo content.")
                    article = self.create_article(data, sections, authors, images, now)
                created += 1
            articles[data["slug"]] = article
        index_articles(Article.objects.prefetch_related("tags"))
        for data in demo.ARTICLES:
            for order, slug in enumerate(data.get("related", [])):
                _, new = RelatedArticle.objects.get_or_create(
                    from_article=articles[data["slug"]], to_article=articles[slug], defaults={"order": order}
                )
                created += new
        return created

    def create_article(self, data, sections, authors, images, now) -> Article:
        status = {
            "published": Article.Status.PUBLISHED,
            "scheduled": Article.Status.PUBLISHED,
            "draft": Article.Status.DRAFT,
        }[data["status"]]
        published_at = now - timedelta(hours=data["hours_ago"]) if data["status"] != "draft" else None
        article = Article.objects.create(
            slug=data["slug"],
            kicker=data["kicker"],
            headline=data["headline"],
            standfirst=data["standfirst"],
            body=self.body(data, images),
            section=sections[data["section"]],
            lead_image=images[data["lead_image"]],
            lead_image_caption=data["lead_image_caption"],
            status=status,
            published_at=published_at,
            top_story=data.get("top_story", False),
        )
        # The demo story was written when it went out, not now.
        written_at = min(published_at or now, now)
        Article.objects.filter(pk=article.pk).update(updated_at=written_at, created_at=written_at)
        for order, slug in enumerate(data["authors"]):
            Byline.objects.create(article=article, author=authors[slug], order=order)
        article.tags.set(data["tags"])
        for quote in data["quotes"]:
            Quote.objects.create(article=article, **quote)
        for figure in data["figures"]:
            Figure.objects.create(
                article=article, image=images[figure["image"]], caption=figure["caption"], position=figure["position"]
            )
        for text in data.get("corrections", []):
            Correction.objects.create(article=article, text=text, published_at=written_at + timedelta(minutes=40))
        return article

    def body(self, data, images) -> str:
        """The story's paragraphs, with each embed's link on a line of its own and each block written in the body
        editor (articles/sanitize.py) after the paragraph it names; embeds stored as resolved: nothing is fetched."""
        paragraphs = [f"<p>{escape(paragraph)}</p>" for paragraph in data["paragraphs"]]
        placed = [
            (embed["after"], self.embed_link(number, embed)) for number, embed in enumerate(data.get("embeds", []))
        ]
        placed += [(block["after"], self.block(block, images)) for block in data.get("blocks", [])]
        for after, html in sorted(placed, key=lambda item: -item[0]):
            paragraphs.insert(after, html)
        return "".join(paragraphs)

    def embed_link(self, number, embed) -> str:
        if not Embed.objects.filter(url=embed["url"]).exists():
            fields = {name: value for name, value in embed.items() if name not in {"after", "scene"}}
            stored = Embed(**fields, status=Embed.Status.READY, fetched_at=timezone.now())
            if embed["scene"]:
                picture = SimpleUploadedFile(f"embed-{number}.jpg", draw_scene(embed["scene"], seed=90 + number))
                stored.thumbnail = image_create(file=picture, alt_text=embed["title"], credit=stored.provider_name)
            stored.save()
        return f'<p><a href="{escape(embed["url"])}">{escape(embed["url"])}</a></p>'

    @staticmethod
    def block(block, images) -> str:
        """A picture, gallery, fact box or table as the body editor stores it."""

        def picture(item):
            caption = f"<figcaption>{escape(item['caption'])}</figcaption>" if item.get("caption") else ""
            return f'<figure data-image="{images[item["image"]].pk}">{caption}</figure>'

        if "picture" in block:
            return picture(block["picture"])
        if "gallery" in block:
            return '<div data-gallery="">' + "".join(map(picture, block["gallery"])) + "</div>"
        if "fact_box" in block:
            box = block["fact_box"]
            points = "".join(f"<li><p>{escape(point)}</p></li>" for point in box["points"])
            return f'<aside class="factbox" data-title="{escape(box["title"])}"><ul>{points}</ul></aside>'
        table = block["table"]
        header, *rows = table["rows"]
        cells = "<tr>" + "".join(f"<th><p>{escape(cell)}</p></th>" for cell in header) + "</tr>"
        cells += "".join("<tr>" + "".join(f"<td><p>{escape(cell)}</p></td>" for cell in row) + "</tr>" for row in rows)
        return f'<table data-caption="{escape(table["caption"])}"><tbody>{cells}</tbody></table>'

    def seed_subscribers(self, *, now) -> int:
        """Made-up readers at example.org (DEBUG only), so the audience pages have something to show."""
        the_daily = Newsletter.objects.get(slug="the-daily")
        # A second newsletter, so a reader's preferences page has something to switch to.
        culture_letter, new = Newsletter.objects.get_or_create(
            slug="culture-letter",
            defaults={
                "name": "The Culture Letter",
                "description": "Exhibitions, theatre and music across the county: the morning's culture stories.",
                "send_time": time(8, 0),
            },
        )
        if new:
            culture_letter.sections.set(Section.objects.filter(slug="culture"))
        created = int(new)
        statuses = [Subscription.Status.ACTIVE] * 4 + [Subscription.Status.PENDING, Subscription.Status.UNSUBSCRIBED]
        for number in range(DEMO_SUBSCRIBERS):
            subscriber, new = Subscriber.objects.get_or_create(email=f"demo.reader{number:02d}@example.org")
            if not new:
                continue
            status = statuses[number % len(statuses)]
            subscribed_at = now - timedelta(days=number * 3 + 1)
            Subscription.objects.create(
                subscriber=subscriber,
                newsletter=the_daily,
                status=status,
                subscribed_at=subscribed_at,
                confirmed_at=None if status == Subscription.Status.PENDING else subscribed_at + timedelta(minutes=7),
                unsubscribed_at=now - timedelta(days=1) if status == Subscription.Status.UNSUBSCRIBED else None,
                source="demo",
                consent_text="Demo data: not a real person.",
                consent_version="demo",
            )
            created += 1
        return created

    def seed_users(self, authors) -> int:
        created = 0
        User = get_user_model()
        for username, group_name, is_superuser in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.com",
                password=DEMO_PASSWORD,
                is_staff=True,
                is_superuser=is_superuser,
            )
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            created += 1
        for username, slug in DEMO_AUTHOR_OF.items():
            author = authors[slug]
            if author.user_id is None:
                author.user = User.objects.get(username=username)
                author.save(update_fields=["user"])
        return created


PALETTES = {
    "harbour": ((120, 170, 210), (20, 60, 100), (40, 40, 60)),
    "hills": ((250, 200, 150), (70, 130, 70), (40, 90, 50)),
    "town": ((190, 210, 235), (150, 120, 100), (90, 70, 60)),
    "field": ((170, 210, 240), (210, 180, 80), (120, 140, 50)),
    "river": ((200, 220, 240), (60, 120, 160), (60, 110, 70)),
    "stage": ((30, 20, 50), (200, 60, 90), (250, 210, 120)),
    "market": ((230, 230, 240), (200, 80, 60), (60, 120, 160)),
    "bridge": ((240, 190, 160), (90, 90, 110), (50, 80, 110)),
    "wind": ((160, 200, 240), (100, 160, 90), (240, 240, 240)),
    "night": ((10, 15, 40), (40, 50, 90), (250, 220, 120)),
}


def draw_scene(scene: str, *, seed: int, size=(1600, 1000)) -> bytes:
    """A simple generated 'photograph' (sky, land, a few shapes) as JPEG bytes."""
    rng = random.Random(seed)
    sky, land, detail = PALETTES.get(scene, PALETTES["hills"])
    width, height = size
    image = PILImage.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.5, 0.65))
    for y in range(horizon):
        shade = y / horizon
        draw.line([(0, y), (width, y)], fill=tuple(int(c * (1 - 0.35 * shade) + 255 * 0.35 * shade) for c in sky))
    if scene in {"night", "stage"}:
        draw.ellipse([width * 0.7, height * 0.1, width * 0.78, height * 0.1 + width * 0.08], fill=detail)
    else:
        draw.ellipse([width * 0.12, height * 0.1, width * 0.2, height * 0.1 + width * 0.08], fill=(255, 236, 170))
    for layer in range(3):
        points = [(0, height)]
        base = horizon + layer * height * 0.08
        for x in range(0, width + 100, 100):
            points.append((x, base - rng.uniform(0, height * 0.12)))
        points.append((width, height))
        colour = tuple(max(0, c - layer * 18) for c in land)
        draw.polygon(points, fill=colour)
    for _ in range(rng.randint(5, 12)):
        x = rng.uniform(0, width)
        w = rng.uniform(40, 160)
        h = rng.uniform(60, 260)
        y = horizon + rng.uniform(0, height * 0.2)
        draw.rectangle([x, y - h, x + w, y], fill=detail)
        draw.polygon([(x - 10, y - h), (x + w / 2, y - h - w / 2), (x + w + 10, y - h)], fill=land)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
