"""Live coverage in the back office. Editors open a live blog on a published story and close it with a summary;
the journalists on the story (and editors) post updates, which go out at once. Every rule is checked again by the
services (live/services.py), whatever the form allowed."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from articles.models import Article, Author
from newsroom.admin import SafeAutocomplete

from .models import LiveBlog, LiveUpdate
from .services import (
    LiveError,
    can_post,
    live_blog_close,
    live_blog_open,
    live_update_deleted,
    live_update_save,
    open_blogs_for,
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
        if cleaned.get("close") and not (cleaned.get("summary") or "").strip():
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
        if not self.instance.pk and (author := Author.objects.filter(user=self.user).first()):
            self.fields["author"].initial = author.pk

    def clean(self):
        cleaned = super().clean()
        blog = self.instance.live_blog if self.instance.pk else cleaned.get("live_blog")
        if blog is not None and not can_post(self.user, blog):
            raise forms.ValidationError("Only the journalists on this story and editors can post updates to it.")
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
    autocomplete_fields = ["author"]

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
