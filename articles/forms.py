from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import format_html
from taggit.forms import TagWidget
from taggit.models import Tag

from . import imaging
from .models import Article


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


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField headline-input"}),
            "slug": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "standfirst": forms.Textarea(attrs={"rows": 3}),
            "meta_description": forms.Textarea(attrs={"rows": 2}),
            "lead_image_caption": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        limit = Tag._meta.get_field("name").max_length
        if too_long := [tag for tag in tags if len(tag) > limit]:
            raise forms.ValidationError(
                "Tags can be at most %(limit)d characters long; shorten “%(tag)s…”.",
                params={"limit": limit, "tag": too_long[0][:40]},
                code="tag_too_long",
            )
        return tags
