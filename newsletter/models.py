import datetime
import re
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import punycode

from articles.models import Article, BodyField
from newsroom.text import one_line, validate_one_line

from .tokens import confirmation_token, unsubscribe_token


def normalise_email(address: str) -> str:
    """One spelling per address: trimmed and lower-cased, as mail providers treat it."""
    return (address or "").strip().lower()


# A display form, "Jane Doe <jane@example.org>": one pair of angle brackets, at the end.
_DISPLAY_FORM = re.compile(r"[^<>]*<([^<>]*)>")


def clean_address(value) -> str:
    """The stored spelling of one email address, bare and normalised ("Jane <Jane@Example.org>" gives
    "jane@example.org"); a ValidationError for anything else: not text, a line break or control character,
    several addresses, a domain that cannot receive mail, or not an address at all."""
    if not isinstance(value, str):
        raise ValidationError("That is not an email address.", code="invalid")
    value = value.strip()
    try:
        value.encode("utf-8")
        validate_one_line(value)
    except (UnicodeError, ValidationError) as exc:
        raise ValidationError("An email address is one line of plain text.", code="invalid") from exc
    try:
        validate_email(value)  # a bare address, a quoted local part included, is taken as it is spelt
        address = value
    except ValidationError:
        _, address = parseaddr(value)
        display = _DISPLAY_FORM.fullmatch(value)
        if not address or (address != value and not (display and display.group(1).strip() == address)):
            raise ValidationError("Enter one email address, like name@example.com.", code="invalid") from None
    email = normalise_email(address)
    if len(email) > 254:
        raise ValidationError("That address is too long for email (254 characters at most).", code="invalid")
    try:
        punycode(email.rpartition("@")[2])
    except UnicodeError as exc:
        raise ValidationError("That address's domain cannot receive email. Check it and try again.") from exc
    validate_email(email)
    return email


class Newsletter(models.Model):
    name = models.CharField(max_length=120, unique=True, validators=[validate_one_line])
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences shown where readers sign up.")
    is_default = models.BooleanField(
        default=False, help_text="Offered first in every sign-up form. Only one newsletter can be the default."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sections = models.ManyToManyField(
        "articles.Section",
        blank=True,
        related_name="newsletters",
        help_text="The sections whose stories the daily edition carries. None chosen means every section.",
    )
    send_time = models.TimeField(
        default=datetime.time(7, 0),
        help_text="When the daily edition goes out, in the newsroom's time zone. It is composed an hour before.",
    )
    sends_without_approval = models.BooleanField(
        "send the daily edition by itself",
        default=False,
        help_text="Off: the composed edition waits for an editor to approve it. On: it goes out at the send time.",
    )
    items_per_edition = models.PositiveSmallIntegerField(
        default=10, help_text="The most stories one daily edition carries."
    )

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_newsletter")
        ]

    def __str__(self):
        return self.name

    def list_id(self) -> str:
        """RFC 2919 List-Id: one stable identifier per newsletter, which mail clients group and filter by."""
        return f"{one_line(self.name)} <{self.slug}.{settings.NEWSLETTER_LIST_DOMAIN}>"

    def send_at(self, issue_date: datetime.date) -> datetime.datetime:
        """The moment the edition of this date goes out, in the newsroom's time zone."""
        return datetime.datetime.combine(issue_date, self.send_time, tzinfo=timezone.get_default_timezone())


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
    confirmation_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last confirmation email was asked for (sent by a worker)."
    )
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the mail server last accepted a confirmation email."
    )
    confirmation_attempted_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last tried to send the confirmation email."
    )
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

    def link_token(self) -> str:
        """The one signed value an email carries for its reader: their unsubscribe link and their preferences
        page both take it, so a message is personalised by one substitution."""
        return unsubscribe_token(self)

    def unsubscribe_url(self) -> str:
        return absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": self.link_token()}))

    def preferences_url(self) -> str:
        return absolute_url(reverse("newsletter:preferences", kwargs={"token": self.link_token()}))


class ConsentEvent(models.Model):
    """The append-only history of one subscription: every request, confirmation, import and unsubscribe."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Sign-up requested"
        CONFIRMED = "confirmed", "Confirmed"
        IMPORTED = "imported", "Imported"
        SUBSCRIBED = "subscribed", "Subscribed on the preferences page (address already confirmed)"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    edition = models.ForeignKey(
        "Edition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_events",
        help_text="The edition whose unsubscribe link was used, when it was one.",
    )
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


class EditionQuerySet(models.QuerySet):
    def public(self):
        """Editions readers can read on the site: sent, or sending (the email already links here)."""
        return self.filter(status__in=[Edition.Status.SENDING, Edition.Status.SENT, Edition.Status.PAUSED]).exclude(
            started_at=None
        )


class Edition(models.Model):
    """One issue of a newsletter: the day's digest of stories, composed, approved and sent once."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="editions")
    issue_date = models.DateField(help_text="The date the edition is for; its web version's address.")
    subject = models.CharField(
        max_length=150,
        validators=[validate_one_line],
        help_text="The email's subject line; aim for under 60 characters.",
    )
    preheader = models.CharField(
        max_length=150,
        blank=True,
        validators=[validate_one_line],
        help_text="The preview line inboxes show after the subject. Empty means the lead story's standfirst.",
    )
    intro = BodyField("editor's introduction", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    send_at = models.DateTimeField(null=True, blank=True, help_text="When a scheduled edition goes out.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    composed_automatically = models.BooleanField(default=False, editable=False)
    articles_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="The edition carries stories published up to this time."
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_reason = models.CharField(max_length=500, blank=True, editable=False)
    # Rendered once when sending starts: every recipient and the web version get exactly this.
    rendered_subject = models.CharField(max_length=150, blank=True, editable=False)
    rendered_html = models.TextField(blank=True, editable=False)
    rendered_text = models.TextField(blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    skipped_count = models.PositiveIntegerField(default=0, editable=False)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a worker last sent a batch of this edition."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "issue_date"], name="one_edition_per_newsletter_and_date")
        ]
        permissions = [("send_edition", "Can approve, schedule, send, pause and cancel editions")]

    def __str__(self):
        return f"{self.newsletter} — {self.issue_date:%-d %B %Y}"

    def get_absolute_url(self):
        return reverse("newsletter:edition", kwargs={"slug": self.newsletter.slug, "date": self.issue_date.isoformat()})

    @property
    def left_count(self) -> int:
        return max(self.recipient_count - self.sent_count - self.failed_count - self.skipped_count, 0)

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.SCHEDULED}


class EditionItem(models.Model):
    """A story in an edition, in the editor's order, with an optional blurb instead of its standfirst."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey("articles.Article", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    blurb = models.TextField(
        max_length=600, blank=True, help_text="A line or two for this newsletter. Empty means the story's standfirst."
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["edition", "article"], name="one_item_per_article")]

    def __str__(self):
        return f"#{self.order} {self.article}"

    @property
    def summary(self) -> str:
        return self.blurb or self.article.standfirst

    def clean(self):
        if self.article_id and not Article.objects.published().filter(pk=self.article_id).exists():
            raise ValidationError(
                {"article": "Only a published story can go in a newsletter: readers must be able to open it."}
            )


class Delivery(models.Model):
    """One edition to one subscriber. The rows are the audience, snapshotted when sending starts; the
    database, not the queue, holds what has been sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (unsubscribed meanwhile)"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds this row until then; afterwards another may take it."
    )
    lease = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(
        max_length=200,
        blank=True,
        db_default="",  # rows are inserted by SQL when sending starts
        help_text="The email provider's id for this message, which its webhooks name.",
    )

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["edition", "subscription"], name="one_delivery_per_edition_and_subscriber")
        ]
        indexes = [
            # Workers look for the waiting rows of one edition, in id order.
            models.Index(fields=["edition", "id"], condition=Q(status="pending"), name="delivery_waiting_idx"),
            # A provider's webhook names the message by the id the provider gave it.
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="delivery_provider_id_idx"
            ),
        ]

    def __str__(self):
        return f"Delivery #{self.pk} ({self.get_status_display()})"


class DeliveryEvent(models.Model):
    """What the email provider reported about a message (anymail's normalised tracking events), stored once
    per provider event: a webhook the provider sends again changes nothing."""

    class Type(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        DEFERRED = "deferred", "Soft bounce (deferred)"
        BOUNCED = "bounced", "Hard bounce"
        BLOCKED = "blocked", "Blocked by the receiver (the sender or the message, not the address)"
        REJECTED = "rejected", "Rejected by the provider"
        FAILED = "failed", "Failed"
        COMPLAINED = "complained", "Complaint (marked as spam)"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the provider"
        AUTORESPONDED = "autoresponded", "Automatic reply"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        SUBSCRIBED = "subscribed", "Subscribed at the provider"
        UNKNOWN = "unknown", "Other"

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200, help_text="The provider's id of the event, or a digest of it.")
    type = models.CharField(max_length=16, choices=Type.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    recipient = models.EmailField(max_length=254, blank=True, help_text="Blanked when the address is erased.")
    message_id = models.CharField(max_length=200, blank=True)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="events", db_index=False
    )
    edition = models.ForeignKey(Edition, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    reject_reason = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=500, blank=True, help_text="The provider's or mail server's words.")

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_row_per_provider_event")]
        indexes = [
            models.Index(fields=["delivery", "type"], name="delivery_event_delivery_idx"),
            models.Index(fields=["recipient", "type", "occurred_at"], name="delivery_event_recipient_idx"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} ({self.provider}) at {self.occurred_at:%Y-%m-%d %H:%M}"


class SuppressionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(removed_at=None)


class Suppression(models.Model):
    """An address that is never sent anything again, whatever path brings it back (sign-up, import, admin).

    The address is kept in clear while its subscriber exists, so sending can leave it out in SQL; an erasure
    blanks it and keeps only `address_hash`, a keyed hash (HMAC) every path that adds an address checks."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCES = "soft_bounces", "Repeated soft bounces"
        COMPLAINT = "complaint", "Complaint (marked as spam)"
        PROVIDER_UNSUBSCRIBE = "provider_unsubscribe", "Unsubscribed by the provider"
        STAFF = "staff", "Added by staff"
        ERASED = "erased", "Erased on request (only a sign-up the reader confirms lifts it)"

    email = models.EmailField(max_length=254, blank=True, help_text="Blank once the address has been erased.")
    address_hash = models.CharField(max_length=64, editable=False)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)
    source_event = models.ForeignKey(
        DeliveryEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    note = models.CharField(max_length=500, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    removal_reason = models.CharField(max_length=500, blank=True, editable=False)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["address_hash"], condition=Q(removed_at=None), name="one_active_suppression_per_address"
            )
        ]
        indexes = [models.Index(fields=["email"], condition=Q(removed_at=None), name="suppression_active_email_idx")]

    def __str__(self):
        # No address: this text lands in the admin log, which must not outlive an erasure.
        return f"Suppression #{self.pk} ({self.get_reason_display()})"


class SendRate(models.Model):
    """Messages sent in one second, across every worker: the shared rate limit's counter."""

    second = models.BigIntegerField(primary_key=True)
    used = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.used} at {self.second}"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"
