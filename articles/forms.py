from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from taggit.forms import TagWidget
from taggit.models import Tag

from . import imaging
from .models import Article, Image
from .services import EMBARGO_LIFTED_BY_ITS_OWN_STEP, embargo_lifted
from .tagging import NO_ADDRESS, tag_slug


class ImageUploadField(forms.ImageField):
    """An image upload that is fully decoded, checked and cleaned of metadata before saving."""

    def to_python(self, data):
        if data in self.empty_values:
            return None
        cleaned = imaging.prepare_upload(data)
        return super().to_python(SimpleUploadedFile(cleaned.name, cleaned.read()))


class TagSuggestWidget(TagWidget):
    """Taggit's comma-separated text box, with existing tags suggested as the journalist types."""

    class Media:
        js = ["articles/admin/tag-suggest.js"]

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "size": 60, **(attrs or {})})

    @staticmethod
    def _list_id(name, attrs):
        return f"{(attrs or {}).get('id') or name}-suggestions"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"] |= {
            "list": self._list_id(name, attrs),
            "data-tag-suggest-url": reverse("admin:tag_suggest"),
        }
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return html + format_html('<datalist id="{}"></datalist>', self._list_id(name, attrs))


class OpenedVersionField(forms.IntegerField):
    """Bookkeeping, not content: never reported as a change in the history."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class RestoreForm(forms.Form):
    """Restoring an old version: only the version the article had when the editor chose to."""

    opened_version = OpenedVersionField()


class StoryPicturesForm(forms.ModelForm):
    """Its picture fields take what their choosers offer (`Image.objects.for_stories()`): an embed's thumbnail named
    by its number is refused, unless the row has it already (taken up before the choosers hid them), so it still
    saves as it stands."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model is Image:
                chosen = getattr(self.instance, f"{name}_id", None)
                field.queryset = Image.objects.for_stories() | Image.objects.filter(pk=chosen)


class ArticleAdminForm(StoryPicturesForm):
    """The article form, with the version it was opened at so a stale save is caught, not applied."""

    #: Fields whose saved value is shown beside the editor's own when two saves collide.
    COMPARED = [
        "kicker",
        "headline",
        "slug",
        "standfirst",
        "key_points",
        "body",
        "section",
        "tags",
        "lead_image",
        "lead_image_caption",
        "lead_image_credit",
        "status",
        "published_at",
        "meta_description",
    ]

    opened_version = OpenedVersionField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["opened_version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        current = Article.objects.select_for_update().filter(pk=self.instance.pk).first()
        opened_at = cleaned.get("opened_version")
        if current is not None and opened_at is None:
            raise forms.ValidationError(
                "This form came from an old page and cannot be saved safely. Copy your text, reload the page, "
                "and paste it in again.",
                code="no_version",
            )
        if current is None or opened_at is None or current.version == opened_at:
            return cleaned
        # Their version moves on, so saving again after reading the message overwrites knowingly.
        self.data = self.data.copy()
        self.data[self.add_prefix("opened_version")] = str(current.version)
        who = current.updated_by.get_username() if current.updated_by else "someone else"
        raise forms.ValidationError(
            "%(who)s saved this article at %(when)s, after you opened it. Nothing of yours was saved and "
            "everything you typed is still below. Fields that differ from their version: %(fields)s. "
            "Copy what you need, or save again to replace their version with yours.",
            code="edit_conflict",
            params={
                "who": who,
                "when": timezone.localtime(current.updated_at).strftime("%H:%M:%S"),
                "fields": self._differences(current) or "none",
            },
        )

    #: Inline formsets (prefix, model fields compared) whose rows are compared too.
    INLINES = {
        "bylines": ["author", "order"],
        "figures": ["image", "caption", "credit", "position"],
        "quotes": ["text", "speaker_name", "speaker_role", "position"],
        "related_links": ["to_article", "order"],
        "corrections": ["text"],
    }

    def _inline_rows_posted(self, current, prefix, names) -> set[tuple]:
        try:
            total = int(self.data.get(f"{prefix}-TOTAL_FORMS", 0))
        except ValueError:
            return set()
        rows, read_only = set(), []
        for index in range(min(total, 1000)):
            if self.data.get(f"{prefix}-{index}-DELETE"):
                continue
            if not any(f"{prefix}-{index}-{name}" in self.data for name in names):
                read_only.append(self.data.get(f"{prefix}-{index}-id"))  # shown, not editable: stands as saved
                continue
            row = tuple(str(self.data.get(f"{prefix}-{index}-{name}", "")).strip() for name in names)
            if any(row):
                rows.add(row)
        if ids := [pk for pk in read_only if str(pk or "").isdigit()]:
            rows |= self._inline_rows_saved(current, prefix, names, pk__in=ids)
        return rows

    def _inline_rows_saved(self, current, prefix, names, **filters) -> set[tuple]:
        columns = [f"{name}_id" if name in {"author", "image", "to_article"} else name for name in names]
        manager = getattr(current, prefix).filter(**filters)
        return {tuple(str(v if v is not None else "").strip() for v in row) for row in manager.values_list(*columns)}

    def _differences(self, current) -> str:
        changed = []
        for name in self.COMPARED:
            if name not in self.cleaned_data:
                continue
            mine = self.cleaned_data[name]
            if name == "tags":
                theirs, mine = sorted(current.tags.names()), sorted(mine or [])
            else:
                theirs = getattr(current, name)
            if (theirs or None) != (mine or None):
                label = self.fields[name].label or name
                if name in {"headline", "standfirst", "kicker"}:
                    changed.append(f"{label} (theirs: “{str(theirs)[:120]}”)")
                else:
                    changed.append(str(label))
        for prefix, names in self.INLINES.items():
            if f"{prefix}-TOTAL_FORMS" not in self.data:
                continue
            if self._inline_rows_posted(current, prefix, names) != self._inline_rows_saved(current, prefix, names):
                changed.append(Article._meta.get_field(prefix).related_model._meta.verbose_name_plural.capitalize())
        return ", ".join(changed)

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField headline-input"}),
            "slug": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "standfirst": forms.Textarea(attrs={"rows": 3}),
            "key_points": forms.Textarea(attrs={"rows": 4, "placeholder": "One point a line"}),
            "meta_description": forms.Textarea(attrs={"rows": 2}),
            "lead_image_caption": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }

    def clean_embargo_until(self):
        until = self.cleaned_data["embargo_until"]
        if self.instance.pk and embargo_lifted(self.instance.embargo_until, until):
            raise forms.ValidationError(EMBARGO_LIFTED_BY_ITS_OWN_STEP, code="embargo_lifted")
        return until

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        limit = Tag._meta.get_field("name").max_length
        if too_long := [tag for tag in tags if len(tag) > limit]:
            raise forms.ValidationError(
                "Tags can be at most %(limit)d characters long; shorten “%(tag)s…”.",
                params={"limit": limit, "tag": too_long[0][:40]},
                code="tag_too_long",
            )
        if no_address := [tag for tag in tags if not tag_slug(tag)]:
            raise forms.ValidationError(NO_ADDRESS, params={"name": no_address[0]}, code="tag_without_address")
        return tags


class TagAdminForm(forms.ModelForm):
    """A tag's address is filled in from its name, in the name's own script, and must not be empty."""

    class Meta:
        model = Tag
        fields = ["name", "slug"]
        help_texts = {"slug": "The tag page's address, /tags/<address>/. Leave empty to make it from the name."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:  # a role that may only view tags (Journalist) gets the form without its fields
            self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and not cleaned.get("slug"):
            if not (slug := tag_slug(name)):
                self.add_error("name", forms.ValidationError(NO_ADDRESS, params={"name": name}))
            elif Tag.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", f"Another tag has the address “{slug}”; choose another.")
            else:
                cleaned["slug"] = slug
        return cleaned
