from django import forms
from django.conf import settings

from .models import Newsletter, clean_address


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )
    newsletter = forms.ModelChoiceField(
        queryset=Newsletter.objects.all(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of our newsletters."},
    )
    # A field people never see: bots that fill every box give themselves away.
    website = forms.CharField(required=False)
    source = forms.CharField(required=False)

    def clean_email(self):
        return clean_address(self.cleaned_data["email"])

    def clean_newsletter(self):
        newsletter = self.cleaned_data.get("newsletter")
        if newsletter is None:
            newsletter = Newsletter.objects.filter(is_default=True).first() or Newsletter.objects.first()
        if newsletter is None:
            raise forms.ValidationError("Sign-ups are closed: there is no newsletter yet.")
        return newsletter

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns as in our export (email, newsletter, status, subscribed_at, …) or just an email "
        "column. Commas, semicolons or tabs; UTF-8.",
    )
    newsletter = forms.ModelChoiceField(
        queryset=Newsletter.objects.all(),
        empty_label=None,
        help_text="For rows that do not name a newsletter.",
    )
    consent_note = forms.CharField(
        label="How these people consented",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with every imported subscription, e.g. 'Double opt-in on our old provider's "
        "sign-up form, 2019–2026'.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError("Upload a CSV file (.csv).")
        if upload.size > settings.NEWSLETTER_IMPORT_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                "This file is larger than %(limit)d MB; split it and import the parts.",
                params={"limit": settings.NEWSLETTER_IMPORT_MAX_MB},
            )
        return upload


class NewsletterChoices(forms.ModelMultipleChoiceField):
    """Newsletters by id; a value that is no id we could have (a forged form) is invalid, not a database error."""

    def _check_values(self, value):
        for pk in value:
            if not (str(pk).isascii() and str(pk).isdigit() and len(str(pk)) <= 18):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class PreferencesForm(forms.Form):
    """The newsletters a reader ticks on their preferences page (the page lays the boxes out itself)."""

    newsletters = NewsletterChoices(queryset=Newsletter.objects.all(), required=False)
