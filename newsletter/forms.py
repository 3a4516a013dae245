from django import forms

from .models import Newsletter


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
    source = forms.CharField(required=False, max_length=500)

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
