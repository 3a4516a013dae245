from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccountMail(models.Model):
    """A password-reset mail or an account notice waiting to go (accounts/outbox.py): written with the change
    that asks for it, so a broker that is down loses none. It holds no secret: a reset's link is made as it is
    sent, and a reset holds only the address typed (who, if anyone, has it is looked up then)."""

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Password reset"
        NOTICE = "notice", "Account notice"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="Not tried again before this: a lease while it is sent, then the back-off."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="Sent, or nothing to send (a reset for an address no staff member has)."
    )

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(sent_at=None), name="accountmail_unsent")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.address}"
