import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Author, Byline, Correction, Figure, Image, Quote, RelatedArticle, Section
from articles.search import index_articles
from articles.services import image_build_renditions
from newsletter.models import Newsletter, Subscriber, Subscription


def image_bytes(fmt="JPEG", size=(800, 500), colour=(200, 80, 40), **save_kwargs) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt in {"PNG", "WEBP"} and save_kwargs.pop("alpha", False) else "RGB"
    PILImage.new(mode, size, colour).save(out, fmt, **save_kwargs)
    return out.getvalue()


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Reporter {n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")
    job_title = "Business reporter"


class ImageFactory(factory.django.DjangoModelFactory):
    """An image stored the way uploads are, with its renditions built."""

    class Meta:
        model = Image
        skip_postgeneration_save = True

    alt_text = factory.Sequence(lambda n: f"A picture of the harbour, number {n}")
    caption = "Boats in the harbour at dawn"
    credit = "Courier photographer"
    file = factory.LazyFunction(lambda: ContentFile(image_bytes(), name="harbour.jpg"))

    @factory.post_generation
    def renditions(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            image_build_renditions(image=obj)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Council approves new plan number {n} for the riverside")
    slug = factory.Sequence(lambda n: f"council-plan-{n}")
    standfirst = "The scheme will bring homes and a new footbridge to the old wharf."
    body = "<p>First paragraph.</p><p>Second paragraph.</p><p>Third paragraph.</p>"
    section = factory.SubFactory(SectionFactory, slug="news", name="News")
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))
    created_by = None

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)

    @factory.post_generation
    def search_index(obj, create, extracted, **kwargs):
        if create:
            index_articles([obj])


class BylineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Byline

    article = factory.SubFactory(ArticleFactory)
    author = factory.SubFactory(AuthorFactory)


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Figure

    article = factory.SubFactory(ArticleFactory)
    image = factory.SubFactory(ImageFactory)
    position = 1


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    article = factory.SubFactory(ArticleFactory)
    text = "We have waited a long time for this bridge."
    speaker_name = "Ada Marsh"
    speaker_role = "Leader of the town council"
    position = 2


class RelatedArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedArticle

    from_article = factory.SubFactory(ArticleFactory)
    to_article = factory.SubFactory(ArticleFactory)


class CorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correction

    article = factory.SubFactory(ArticleFactory)
    text = "An earlier version of this article gave the cost of the bridge as £4m; it is £6m."


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Newsletter {n}")
    slug = factory.Sequence(lambda n: f"newsletter-{n}")


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    newsletter = factory.LazyFunction(
        lambda: __import__("newsletter.models").models.Newsletter.objects.get(slug="the-daily")
    )
    status = "active"
    subscribed_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
    source = "/"


class EditionFactory(factory.django.DjangoModelFactory):
    """A draft edition of The Daily; pass `articles=[...]` to fill it in that order."""

    class Meta:
        model = "newsletter.Edition"
        skip_postgeneration_save = True

    newsletter = factory.LazyFunction(
        lambda: __import__("newsletter.models").models.Newsletter.objects.get(slug="the-daily")
    )
    issue_date = factory.LazyFunction(timezone.localdate)
    subject = "Today: the riverside plan, and more"
    status = "draft"

    @factory.post_generation
    def articles(obj, create, extracted, **kwargs):
        from newsletter.models import EditionItem

        for position, article in enumerate(extracted or ()):
            EditionItem.objects.create(edition=obj, article=article, order=position)
