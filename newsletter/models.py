from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from .tokens import confirmation_token, unsubscribe_token


def normalise_email(address: str) -> str:
    """One spelling per address: trimmed and lower-cased, as mail providers treat it."""
    return (address or "").strip().lower()


class Newsletter(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences shown where readers sign up.")
    is_default = models.BooleanField(
        default=False, help_text="Offered first in every sign-up form. Only one newsletter can be the default."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_newsletter")
        ]

    def __str__(self):
        return self.name


class Subscriber(models.Model):
    """One email address, stored once whatever its letter case."""

    email = models.EmailField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class SubscriptionQuerySet(models.QuerySet):
    def for_export(self):
        return self.select_related("subscriber", "newsletter").order_by("pk")


class Subscription(models.Model):
    """A subscriber on one newsletter, with the consent ledger that proves they asked for it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    subscribed_at = models.DateTimeField(help_text="When this sign-up (or import) was asked for.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="The page the reader signed up from, or 'import'.")
    consent_text = models.TextField(blank=True, help_text="The consent wording shown, or the importer's note.")
    consent_version = models.CharField(max_length=40, blank=True)
    signup_ip = models.GenericIPAddressField(null=True, blank=True)
    signup_user_agent = models.CharField(max_length=500, blank=True)
    confirm_ip = models.GenericIPAddressField(null=True, blank=True)
    confirm_user_agent = models.CharField(max_length=500, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    token_nonce = models.PositiveIntegerField(
        default=0, help_text="Raised whenever a subscription ends, so older confirmation links stop working."
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-subscribed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "newsletter"], name="one_subscription_per_newsletter")
        ]
        indexes = [
            # The admin lists a newsletter's subscriptions in one state, newest first.
            models.Index(fields=["newsletter", "status", "-subscribed_at"], name="subscription_list_date_idx"),
            models.Index(fields=["subscribed_at"], name="subscription_date_idx"),
        ]
        permissions = [
            ("export_subscribers", "Can export subscribers"),
            ("import_subscribers", "Can import subscribers"),
        ]

    def __str__(self):
        # No address here: this text lands in the admin log, which must not outlive an erasure.
        return f"Subscription #{self.pk} to {self.newsletter}"

    def confirm_url(self) -> str:
        return absolute_url(reverse("newsletter:confirm", kwargs={"token": confirmation_token(self)}))

    def unsubscribe_url(self) -> str:
        return absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": unsubscribe_token(self)}))


class ConsentEvent(models.Model):
    """The append-only history of one subscription: every request, confirmation, import and unsubscribe."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Sign-up requested"
        CONFIRMED = "confirmed", "Confirmed"
        IMPORTED = "imported", "Imported"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    source = models.CharField(max_length=500, blank=True)
    consent_text = models.TextField(blank=True)
    consent_version = models.CharField(max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. who unsubscribed it from the admin.")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class SubscriberExport(models.Model):
    """Who took a copy of the list, when, of what, and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20, help_text="admin or command")
    run_by = models.CharField(max_length=200, blank=True, help_text="For command-line exports: system user and host.")
    filters = models.CharField(max_length=1000, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True, help_text="Empty if the download was cut short.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "subscriber export"

    def __str__(self):
        return f"Export by {self.user or self.run_by or self.via} at {self.created_at:%Y-%m-%d %H:%M}"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"
