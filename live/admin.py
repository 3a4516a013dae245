"""Live coverage in the back office. Editors open a live blog on a published story and close it with a summary;
the journalists on the story (and editors) post updates, which go out at once. Every rule is checked again by the
services (live/services.py), whatever the form allowed."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from articles.models import Article, Author
from newsroom.admin import SafeAutocomplete

from .models import LiveBlog, LiveUpdate, has_words
from .services import (
    SIGNED_BY_OTHERS,
    LiveError,
    can_post,
    live_blog_close,
    live_blog_open,
    live_update_deleted,
    live_update_save,
    may_sign,
    open_blogs_for,
    signable_authors,
)


class _WithUser:
    """The form is built for the person signed in (what they may choose, and what they may do)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change, **kwargs)

        class Form(base):
            user = request.user

        return Form


class LiveBlogForm(forms.ModelForm):
    close = forms.BooleanField(
        label="Close the live blog",
        required=False,
        help_text="Ends the coverage: the Live badge goes, the summary shows at the top, and no more updates can be "
        "posted.",
    )

    class Meta:
        model = LiveBlog
        fields = ["article", "summary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "article" in self.fields:
            self.fields["article"].queryset = Article.objects.published().filter(live_blog__isnull=True)
            self.fields["article"].help_text = "A published story that is not a live blog yet."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("close") and not has_words(cleaned.get("summary")):
            self.add_error("summary", "Write a short summary of what happened before closing the live blog.")
        return cleaned


@admin.register(LiveBlog)
class LiveBlogAdmin(_WithUser, SafeAutocomplete, admin.ModelAdmin):
    form = LiveBlogForm
    list_display = ["article", "opened_at", "is_open", "closed_at"]
    list_select_related = ["article"]
    search_fields = ["article__headline"]
    autocomplete_fields = ["article"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["article"]
        return ["article", "summary", "close"] if obj.is_open else ["article", "summary"]

    def get_readonly_fields(self, request, obj=None):
        return ["article"] if obj else []

    @admin.display(boolean=True, description="open")
    def is_open(self, live_blog):
        return live_blog.is_open

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                live_blog_open(live_blog=obj, user=request.user)
            elif form.cleaned_data.get("close"):
                live_blog_close(live_blog=obj, user=request.user, summary=form.cleaned_data["summary"])
            else:
                obj.save()
        except LiveError as exc:  # a colleague was quicker
            raise PermissionDenied(str(exc)) from exc


class LiveUpdateForm(forms.ModelForm):
    user = None

    class Meta:
        model = LiveUpdate
        fields = ["live_blog", "author", "headline", "body", "pinned"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "live_blog" in self.fields:
            self.fields["live_blog"].queryset = open_blogs_for(self.user)
            self.fields["live_blog"].label_from_instance = lambda blog: blog.article.headline
            self.fields["live_blog"].label = "Story"
        if "author" in self.fields and self.instance.pk:  # the name it has stays offered, whoever gave it
            signable = signable_authors(self.user, self.instance.live_blog).values("pk")
            self.fields["author"].queryset = Author.objects.filter(Q(pk__in=signable) | Q(pk=self.instance.author_id))
        elif "author" in self.fields:
            self.fields["author"].queryset = signable_authors(self.user)
        if not self.instance.pk and (author := Author.objects.filter(user=self.user).first()):
            self.fields["author"].initial = author.pk

    def clean(self):
        cleaned = super().clean()
        blog = self.instance.live_blog if self.instance.pk else cleaned.get("live_blog")
        if blog is not None and not can_post(self.user, blog):
            raise forms.ValidationError("Only the journalists on this story and editors can post updates to it.")
        author = cleaned.get("author")
        kept_name = self.instance.pk and author is not None and author.pk == self.instance.author_id
        if blog is not None and author is not None and not kept_name and not may_sign(self.user, blog, author):
            self.add_error("author", SIGNED_BY_OTHERS)
        correcting = self.instance.pk and self.user.has_perm("live.change_liveblog")  # editors, after closing
        if blog is not None and not blog.is_open and not correcting:
            raise forms.ValidationError("This live blog is closed: no more updates can be posted.")
        return cleaned


@admin.register(LiveUpdate)
class LiveUpdateAdmin(_WithUser, SafeAutocomplete, admin.ModelAdmin):
    form = LiveUpdateForm
    list_display = ["__str__", "story", "author", "published_at", "pinned"]
    list_select_related = ["live_blog__article", "author"]
    list_filter = ["pinned"]
    search_fields = ["headline", "live_blog__article__headline"]

    def get_autocomplete_fields(self, request):
        """Editors search every author; a journalist picks from the few names they may post under."""
        return ["author"] if request.user.has_perm("live.change_liveblog") else []

    def get_queryset(self, request):
        updates = super().get_queryset(request)
        if request.user.has_perm("live.change_liveblog"):
            return updates
        return updates.filter(live_blog__article__in=Article.objects.by(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["live_blog"] if obj else []

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        editor = request.user.has_perm("live.change_liveblog")
        return can_post(request.user, obj.live_blog) and (obj.live_blog.is_open or editor)

    @admin.display(description="story", ordering="live_blog__article__headline")
    def story(self, update):
        return update.live_blog.article.headline

    def save_model(self, request, obj, form, change):
        try:
            live_update_save(update=obj, user=request.user)
        except LiveError as exc:  # closed by an editor between the form and the save
            raise PermissionDenied(str(exc)) from exc

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        live_update_deleted(update=obj)

    def delete_queryset(self, request, queryset):
        deleted = list(queryset.select_related("live_blog"))
        super().delete_queryset(request, queryset)
        for update in {update.live_blog_id: update for update in deleted}.values():
            live_update_deleted(update=update)
