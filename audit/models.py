from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """An audit event is never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if kwargs != {"actor": None}:  # deleting a person's account leaves their events, under their name
            raise AppendOnly("Audit events are never changed.")
        return super().update(**kwargs)

    def delete(self):
        raise AppendOnly("Audit events are never deleted.")


class AuditEvent(models.Model):
    """One step someone took that a security review asks about: who, when, what, to which object.

    Append-only. It never holds a subscriber's personal data: an erasure says how many were erased, not whose.
    """

    class Action(models.TextChoices):
        PUBLISH = "publish", "Published"
        SCHEDULE = "schedule", "Scheduled"
        UNPUBLISH = "unpublish", "Unpublished"
        EMBARGO_LIFT = "embargo_lift", "Embargo lifted"
        CORRECTION = "correction", "Correction added"
        RESTORE = "restore", "Old version restored"
        EDITION_SEND = "edition_send", "Edition sent or scheduled"
        SUBSCRIBER_EXPORT = "subscriber_export", "Subscribers exported"
        SUBSCRIBER_IMPORT = "subscriber_import", "Subscribers imported"
        SUBSCRIBER_ERASURE = "subscriber_erasure", "Subscribers erased"
        TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor sign-in set up"
        TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor sign-in removed"
        BACKUP_CODES_ISSUED = "backup_codes_issued", "Backup codes issued"
        STAFF_CREATED = "staff_created", "Staff account created"
        STAFF_DELETED = "staff_deleted", "Staff account deleted"
        STAFF_GRANTED = "staff_granted", "Staff status given"
        STAFF_REMOVED = "staff_removed", "Staff status taken away"
        SUPERUSER_GRANTED = "superuser_granted", "Superuser status given"
        SUPERUSER_REMOVED = "superuser_removed", "Superuser status taken away"
        GROUP_ADDED = "group_added", "Added to a group"
        GROUP_REMOVED = "group_removed", "Removed from a group"
        PERMISSIONS_CHANGED = "permissions_changed", "Permissions changed"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset by email"
        ARTICLE_DELETE = "article_delete", "Published article deleted"
        TOP_STORY = "top_story", "Top stories changed"

    at = models.DateTimeField("when", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="who"
    )
    actor_name = models.CharField(
        "who (as recorded)",
        max_length=200,
        blank=True,
        help_text="The username at the time, kept if the account is deleted; for a command run on a server, "
        "the system user and machine.",
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True, help_text="e.g. articles.article")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField("object", max_length=300, blank=True, help_text="e.g. the headline, at the time.")
    detail = models.CharField(max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit event"

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_name or 'the system'} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events are never deleted.")
