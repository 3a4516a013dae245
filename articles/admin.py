import re
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from reversion.admin import VersionAdmin
from reversion.models import Version
from taggit.managers import TaggableManager
from taggit.models import Tag

from audit import services as audit
from newsroom.admin import SafeAutocomplete

from .forms import ArticleAdminForm, ImageUploadField, RestoreForm, StoryPicturesForm, TagAdminForm, TagSuggestWidget
from .models import Article, Author, Byline, Correction, Figure, Image, Quote, RelatedArticle, Section
from .preview import preview_url
from .revisions import version_comparison
from .search import index_articles
from .services import (
    EditConflict,
    WorkflowError,
    article_delete,
    article_lift_embargo,
    article_publish,
    article_restore,
    article_save,
    article_set_top_story,
    article_submit,
    article_unpublish,
)


def thumbnail(image: Image | None, width: int = 120):
    if image is None or not (renditions := image.renditions(image.fallback_extension)):
        return "—"
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" style="height:auto;max-width:{}px">',
        renditions[0].url,
        image.alt_text,
        renditions[0].width,
        renditions[0].height,
        width,
    )


def _picked(image: Image) -> dict:
    """What the body editor needs to show and place a library picture."""
    renditions = image.renditions(image.fallback_extension)
    return {
        "id": image.pk,
        "thumbnail": renditions[0].url if renditions else "",
        "alt": image.alt_text,
        "caption": image.caption,
        "credit": image.credit,
        "width": image.width,
        "height": image.height,
    }


def live_preview(image: Image | None, width: int = 320):
    """A thumbnail that image-preview.js swaps when another image is chosen in the form."""
    return format_html('<div data-image-preview-target="{}">{}</div>', width, thumbnail(image, width))


class ImagePreviewMixin:
    """Image choosers that show the chosen picture at once, before the form is saved."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model is Image and formfield is not None:
            formfield.widget.attrs["data-image-preview"] = reverse("admin:articles_image_thumbnail", args=[0])
        return formfield


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["name", "job_title", "user"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "job_title"]
    autocomplete_fields = ["photo", "user"]
    form = StoryPicturesForm


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "alt_text", "credit", "dimensions", "uploaded_by", "uploaded_at"]
    list_display_links = ["preview", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    list_filter = ["uploaded_at"]
    readonly_fields = ["preview_large", "dimensions", "uploaded_by", "uploaded_at"]
    fields = ["file", "preview_large", "alt_text", "caption", "credit", "dimensions", "uploaded_by", "uploaded_at"]
    formfield_overrides = {models.ImageField: {"form_class": ImageUploadField}}

    @admin.display(description="Preview")
    def preview(self, obj):
        return thumbnail(obj, 120)

    @admin.display(description="Preview")
    def preview_large(self, obj):
        return thumbnail(obj, 320) if obj.pk else "Shown here once the image is saved."

    @admin.display(description="Size")
    def dimensions(self, obj):
        return f"{obj.width}×{obj.height}" if obj.width else "—"

    def get_urls(self):
        thumbnail_view = self.admin_site.admin_view(self.thumbnail_view)
        picker_view = self.admin_site.admin_view(self.picker_view)
        return [
            path("<int:pk>/thumbnail/", thumbnail_view, name="articles_image_thumbnail"),
            path("picker/", picker_view, name="articles_image_picker"),
            *super().get_urls(),
        ]

    PICKER_PAGE_SIZE = 24

    def picker_view(self, request):
        """The media library for the body editor's picture and gallery blocks (static/articles/editor/blocks.js):
        the newest pictures, or those matching ?q= as the library's own search does, a page at a time; or the
        pictures named by ?ids=1,2,3 (a story's blocks showing what they hold)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        images = Image.objects.for_stories()  # by ?ids= too: what the list hides is not there to name either
        if "ids" in request.GET:
            ids = [int(part) for part in request.GET["ids"].split(",") if re.fullmatch(r"\s*[0-9]{1,9}\s*", part)][:100]
            found = {image.pk: image for image in images.filter(pk__in=ids)}
            return JsonResponse({"results": [_picked(found[pk]) for pk in ids if pk in found]})
        query = " ".join(request.GET.get("q", "").split())[:100]
        if query:
            images, _duplicates = self.get_search_results(request, images, query)
        page = Paginator(images, self.PICKER_PAGE_SIZE).get_page(request.GET.get("page"))
        return JsonResponse(
            {
                "results": [_picked(image) for image in page],
                "page": page.number,
                "pages": page.paginator.num_pages,
                "add": reverse("admin:articles_image_add") if self.has_add_permission(request) else None,
            }
        )

    def get_search_results(self, request, queryset, search_term):
        """The choosers of a story's lead image and figures and of an author's photo offer no embed's thumbnail."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("app_label"):  # an autocomplete's request
            queryset = queryset.for_stories()
        return queryset, may_have_duplicates

    def thumbnail_view(self, request, pk):
        """Redirect to the image's smallest rendition, for previews in other forms."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        image = get_object_or_404(Image, pk=pk)
        renditions = image.renditions(image.fallback_extension)
        if not renditions:
            raise Http404("This image has no renditions yet.")
        return redirect(renditions[0].url)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return Image.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return Image.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("articles.publish_article"):
            actions.pop("delete_selected", None)  # deleting many at once skips the per-image check
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)  # its renditions are queued for a worker on commit


class BylineInline(SafeAutocomplete, admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    verbose_name = "byline"
    fields = ["author", "order"]


class FigureInline(SafeAutocomplete, ImagePreviewMixin, admin.StackedInline):
    model = Figure
    extra = 0
    autocomplete_fields = ["image"]
    form = StoryPicturesForm
    fields = ["image", "preview", "caption", "credit", "position"]
    readonly_fields = ["preview"]

    @admin.display(description="Preview")
    def preview(self, obj):
        return live_preview(obj.image if obj.pk else None, 160)


class QuoteInline(admin.StackedInline):
    model = Quote
    extra = 0
    fields = ["text", ("speaker_name", "speaker_role"), "position"]


class RelatedArticleInline(SafeAutocomplete, admin.TabularInline):
    model = RelatedArticle
    fk_name = "from_article"
    extra = 0
    autocomplete_fields = ["to_article"]
    fields = ["to_article", "order"]
    verbose_name_plural = "related news (editors' picks; the page fills up to four by tags and section)"


class MineFilter(admin.SimpleListFilter):
    title = "whose"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", "My articles")]

    def queryset(self, request, queryset):
        return (
            queryset.filter(pk__in=Article.objects.by(request.user).values("pk")) if self.value() == "yes" else queryset
        )


class StateFilter(admin.SimpleListFilter):
    """Status as the newsroom sees it: a published article whose time has not come is 'Scheduled'."""

    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("review", "In review"), ("scheduled", "Scheduled"), ("live", "Published")]

    def queryset(self, request, queryset):
        return {
            "draft": queryset.filter(status=Article.Status.DRAFT),
            "review": queryset.filter(status=Article.Status.REVIEW),
            "scheduled": queryset.scheduled(),
            "live": queryset.published(),
        }.get(self.value(), queryset)


class CorrectionInline(admin.TabularInline):
    """Once the article has been public, its corrections are a record: new ones are added, none edited or removed."""

    model = Correction
    extra = 0
    fields = ["published_at", "text"]
    verbose_name_plural = (
        "corrections (shown on the article, which is then marked updated; once readers have seen the article "
        "they are kept as published: to put one right, add another)"
    )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.has_been_public)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.has_been_public)


@admin.register(Article)
class ArticleAdmin(SafeAutocomplete, ImagePreviewMixin, VersionAdmin):
    list_display = [
        "headline",
        "preview",
        "status_label",
        "top_story",
        "section",
        "byline_names",
        "published_at",
        "updated_at",
    ]
    list_filter = [
        MineFilter,
        StateFilter,
        "top_story",
        "section",
        ("published_at", admin.DateFieldListFilter),
        "bylines__author",
    ]
    search_fields = ["headline", "standfirst"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "lead_image"]
    readonly_fields = ["lead_image_preview", "preview_link", "first_published_at", "created_at", "updated_at"]
    inlines = [BylineInline, FigureInline, QuoteInline, RelatedArticleInline, CorrectionInline]
    actions = ["submit_for_review", "publish_now", "lift_embargo", "unpublish", "make_top_story", "remove_top_story"]
    change_form_template = "admin/articles/article/change_form.html"
    list_select_related = ["section", "lead_image"]
    ordering = ["-updated_at"]
    save_on_top = True
    formfield_overrides = {TaggableManager: {"widget": TagSuggestWidget}}
    form = ArticleAdminForm

    class Media:
        css = {"all": ["articles/admin/article-form.css"]}
        js = ["admin/js/jquery.init.js", "articles/admin/image-preview.js", "articles/admin/char-count.js"]

    fieldsets = [
        (None, {"fields": ["kicker", "headline", "slug", "standfirst", "key_points", "body"]}),
        ("Placement", {"fields": ["section", "tags", "top_story"]}),
        (
            "Lead image",
            {"fields": ["lead_image", "lead_image_preview", "lead_image_caption", "lead_image_credit"]},
        ),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "embargo_until",
                    "preview_link",
                    "first_published_at",
                    "created_at",
                    "updated_at",
                    "opened_version",
                ]
            },
        ),
        ("Search and sharing", {"fields": ["meta_description"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("bylines__author")

    def get_search_results(self, request, queryset, search_term):
        """A newsletter edition's story chooser offers only published stories: its links must work."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (request.GET.get("app_label"), request.GET.get("model_name")) == ("newsletter", "editionitem"):
            queryset = queryset.published()
        return queryset, may_have_duplicates

    def save_model(self, request, obj, form, change):
        article_save(
            article=obj,
            user=request.user,
            expected_version=form.cleaned_data.get("opened_version") if change else None,
        )

    def _check_restorable(self, request, version_id, object_id=None):
        """Only editors restore or recover, and only a version of an article (of this article)."""
        if not self.can_publish(request):
            raise PermissionDenied
        versions = Version.objects.get_for_model(Article)
        version = get_object_or_404(versions, pk=version_id, **({"object_id": object_id} if object_id else {}))
        return version

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """An old version beside the article as it is now, and a button that restores it (then the form is
        there for any further edit, as a save of its own)."""
        version = self._check_restorable(request, version_id, object_id)
        article = get_object_or_404(Article, pk=version.object_id)
        form = RestoreForm(request.POST or None, initial={"opened_version": article.version})
        conflict = None
        if request.method == "POST" and form.is_valid():
            article.version = form.cleaned_data["opened_version"]
            try:
                article_restore(article=article, version=version, user=request.user)
            except EditConflict:
                conflict = article = Article.objects.get(pk=article.pk)
                form = RestoreForm(initial={"opened_version": article.version})
            except WorkflowError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                saved_at = timezone.localtime(version.revision.date_created)
                self.message_user(
                    request,
                    f"“{article}” is as it was on {saved_at:%d %B %Y at %H:%M}; its place on the site, its embargo "
                    "and its corrections are as they were. Every version is still in its history.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:articles_article_change", args=[article.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": f"Restore “{version.object_repr}”",
            "form": form,
            "conflict": conflict,
            "version": version,
            "rows": version_comparison(version, article),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/articles/article/restore.html", context)

    def recover_view(self, request, version_id, extra_context=None):
        version = self._check_restorable(request, version_id)
        if Article.objects.filter(pk=version.object_id).exists():
            raise PermissionDenied  # not deleted: use the article's history instead
        with transaction.atomic():
            response = super().recover_view(request, version_id, extra_context)
            if request.method == "POST" and response.status_code == 302:
                article = Article.objects.get(pk=version.object_id)
                detail = f"Recovered after it was deleted ({article.get_status_display().lower()})"
                audit.record(audit.Action.RESTORE, actor=request.user, target=article, detail=detail)
        return response

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        index_articles(Article.objects.filter(pk=form.instance.pk))  # tags are saved only now

    def save_formset(self, request, form, formset, change):
        for correction in formset.save(commit=False) if formset.model is Correction else []:
            correction.created_by = correction.created_by or request.user
        super().save_formset(request, form, formset, change)
        for correction in formset.new_objects if formset.model is Correction else []:
            detail = Truncator(correction.text).chars(200)
            audit.record(audit.Action.CORRECTION, actor=request.user, target=form.instance, detail=detail)

    def response_post_save_change(self, request, obj):
        self._workflow_button(request, obj)
        if "_lift_embargo" in request.POST:  # back to the form, where publishing is the next step
            return redirect(reverse("admin:articles_article_change", args=[obj.pk]))
        return super().response_post_save_change(request, obj)

    def response_post_save_add(self, request, obj):
        self._workflow_button(request, obj)
        return super().response_post_save_add(request, obj)

    def _workflow_button(self, request, article):
        """The form's 'Save and submit for review' / 'Save and publish' / 'Save and lift embargo' buttons: save,
        then the step. A browser sends only the button pressed; a post naming several takes none of them."""
        steps = {
            "_submit_for_review": article_submit,
            "_publish_now": article_publish,
            "_lift_embargo": article_lift_embargo,
        }
        pressed = [service for name, service in steps.items() if name in request.POST]
        if len(pressed) > 1:
            self.message_user(request, f"“{article}” was saved; take one step at a time.", messages.ERROR)
        elif pressed:
            self._run_step(request, pressed[0], Article.objects.get(pk=article.pk))

    def _run_step(self, request, service, article) -> bool:
        """One story's step, in a transaction of its own: a step refused says why, with the story's name, and
        the stories of a bulk step after it are still taken."""
        try:
            service(article=article, user=request.user)
        except (WorkflowError, PermissionDenied) as exc:
            self.message_user(request, f"“{article}”: {exc or 'you may not do that.'}", messages.ERROR)
            return False
        except ValidationError as exc:
            self.message_user(request, f"“{article}”: {' '.join(exc.messages)}", messages.ERROR)
            return False
        return True

    def has_publish_permission(self, request):
        return self.can_publish(request)

    def _bulk_step(self, request, queryset, service, done: str):
        count = sum(self._run_step(request, service, article) for article in queryset)
        if count:
            self.message_user(request, f"{count} article{'s' if count != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Submit selected for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._bulk_step(request, queryset, article_submit, "submitted for review")

    @admin.action(description="Publish selected now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self._bulk_step(request, queryset, article_publish, "published")

    @admin.action(description="Lift the embargo on selected", permissions=["publish"])
    def lift_embargo(self, request, queryset):
        self._bulk_step(request, queryset, article_lift_embargo, "no longer under embargo")

    @admin.action(description="Unpublish selected", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._bulk_step(request, queryset, article_unpublish, "unpublished")

    @admin.action(description="Make selected top stories on the home page", permissions=["publish"])
    def make_top_story(self, request, queryset):
        self._bulk_step(request, queryset, partial(article_set_top_story, top_story=True), "now among the top stories")

    @admin.action(description="Take selected out of the top stories", permissions=["publish"])
    def remove_top_story(self, request, queryset):
        self._bulk_step(
            request, queryset, partial(article_set_top_story, top_story=False), "taken out of the top stories"
        )

    @staticmethod
    def can_publish(request) -> bool:
        return request.user.has_perm("articles.publish_article")

    @staticmethod
    def is_own_unpublished(request, article) -> bool:
        """Journalists work on their own drafts and articles in review; published work is the editors'."""
        return Article.objects.editable_by(request.user).filter(pk=article.pk).exists()

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or self.can_publish(request):
            return allowed
        return self.is_own_unpublished(request, obj)

    def has_delete_permission(self, request, obj=None):
        """As `article_delete` has it: the delete is offered only to those it would not refuse."""
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or self.can_publish(request):
            return allowed
        return not obj.deleting_takes_an_editor and self.is_own_unpublished(request, obj)

    def delete_model(self, request, obj):
        article_delete(article=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for article in queryset:
                article_delete(article=article, user=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.can_publish(request):
            actions.pop("delete_selected", None)  # deleting many at once skips the per-article check
        return actions

    def get_readonly_fields(self, request, obj=None):
        """Without the publish permission, when and whether an article is public is not yours to set."""
        fields = list(super().get_readonly_fields(request, obj))
        if not self.can_publish(request):
            fields += ["published_at", "embargo_until", "top_story"]
            if obj is not None and obj.status == Article.Status.PUBLISHED:
                fields.append("status")
        return fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not self.can_publish(request):
            kwargs["choices"] = [(s.value, s.label) for s in (Article.Status.DRAFT, Article.Status.REVIEW)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_urls(self):
        suggest = self.admin_site.admin_view(self.tag_suggest_view)
        return [path("tags/suggest/", suggest, name="tag_suggest"), *super().get_urls()]

    def tag_suggest_view(self, request):
        """Existing tags starting with (then containing) what was typed, for the tags box."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()[:100]
        if not term:
            return JsonResponse({"results": []})
        starting = list(Tag.objects.filter(name__istartswith=term).order_by("name").values_list("name", flat=True)[:10])
        containing = Tag.objects.filter(name__icontains=term).exclude(name__in=starting).order_by("name")
        names = starting + list(containing.values_list("name", flat=True)[: 10 - len(starting)])
        return JsonResponse({"results": names})

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_live else None

    @admin.display(description="Image")
    def preview(self, obj):
        return thumbnail(obj.lead_image, 80)

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if obj.pk is None:
            return "Save the article to get a preview link."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Open the preview</a> — a link you can share; it works '
            "for {} hours for anyone who has it, and search engines never see it.",
            preview_url(obj),
            settings.PREVIEW_LINK_HOURS,
        )

    @admin.display(description="Lead image preview")
    def lead_image_preview(self, obj):
        return live_preview(obj.lead_image, 320)

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        if obj.is_scheduled:
            return "Scheduled"
        if obj.embargo_until and obj.embargo_until > timezone.now() and not obj.is_live:
            return f"{obj.get_status_display()} (embargoed until {timezone.localtime(obj.embargo_until):%d %b %H:%M})"
        return obj.get_status_display()

    @admin.display(description="Bylines")
    def byline_names(self, obj):
        return ", ".join(byline.author.name for byline in obj.bylines.all())


# Taggit's own admin merges tags through its generic TaggedItem, which our articles do not use (merging there
# would leave every article's tags where they were), and lets a tag be saved with no address at all.
admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagAdminForm
    list_display = ["name", "slug"]
    ordering = ["name"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
