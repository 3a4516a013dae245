"""Staff sign-in: a password, then a second factor, with guessing throttled at both steps.

- Two-factor sign-in (django-otp): an authenticator app (TOTP) and ten single-use backup codes. Anyone on the
  staff may turn it on; with STAFF_2FA_REQUIRED (on in production) superusers and the Editor and Audience groups
  must. Whoever has it on, or must, reaches nothing in the back office with a password alone: only the steps
  below and signing out.
- Failed passwords are counted per account and address (django-axes: LOGIN_FAILURE_LIMIT, then
  LOGIN_LOCKOUT_MINUTES), so strangers elsewhere cannot keep anyone out, and per address whatever the accounts
  (LOGIN_FAILURES_PER_IP in the same time; an IPv6 address counts as its /64). A locked attempt costs no password
  hashing, and the message is the same whether or not the account exists. Codes are throttled by django-otp
  (each failure doubles the wait) and per account.
- A session ends after STAFF_IDLE_MINUTES without a request; the back office's pages keep it alive while someone
  types (static/newsroom/admin/keep-alive.js). Changing a password ends every other session (Django's own).
"""

from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import outbox
from accounts.models import AccountMail
from audit import services as audit

from . import ratelimit

BACKUP_CODES = 10
GROUPS_THAT_MUST = ("Editor", "Audience")


# --- Who needs what -------------------------------------------------------------------------------------------


def two_factor_required(user) -> bool:
    """Whether the account must sign in with a second factor (STAFF_2FA_REQUIRED: superusers, Editor, Audience)."""
    return settings.STAFF_2FA_REQUIRED and (user.is_superuser or user.groups.filter(name__in=GROUPS_THAT_MUST).exists())


def has_two_factor(user) -> bool:
    """Whether the account has an authenticator app set up (one query, asked once a request: kept on the user)."""
    if not hasattr(user, "_has_two_factor"):
        user._has_two_factor = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return user._has_two_factor


def missing_step(request) -> str | None:
    """What a signed-in staff member must do before the back office opens: 'verify' (enter a code) or 'enrol'
    (set up an authenticator app), or None."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if has_two_factor(user):
        return "verify"
    return "enrol" if two_factor_required(user) else None


def is_verified(user) -> bool:
    """Signed in with a second factor in this session (OTPMiddleware marks the user; one just signed in with a
    password is not marked, and not verified)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def step_url(step: str, next_url: str = "") -> str:
    url = reverse("admin:two_factor_verify" if step == "verify" else "admin:two_factor")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure())
    return wanted if wanted and allowed else fallback


def staff_signed_in(view):
    """The two-factor pages: for an active staff member signed in with a password, second factor or not."""

    def wrapper(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_active and request.user.is_staff):
            return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.get_full_path()})}")
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


# --- Throttling -----------------------------------------------------------------------------------------------


def _window_seconds() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


def address_locked(request) -> bool:
    """Too many failed passwords from this address, whatever the accounts tried."""
    count = ratelimit.peek(f"login-failures:{ratelimit.client_network(request)}")
    return count >= settings.LOGIN_FAILURES_PER_IP


def count_failure(sender, credentials, request=None, **kwargs) -> None:
    """A failed password (Django's user_login_failed signal), counted against the address it came from."""
    if request is not None:
        ip = ratelimit.client_network(request)
        ratelimit.hit(f"login-failures:{ip}", limit=settings.LOGIN_FAILURES_PER_IP, window_seconds=_window_seconds())


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a sign-in while the account or the address is locked (also django-axes' lockout page).
    The same for an account that does not exist."""
    response = TemplateResponse(
        request,
        "admin/locked_out.html",
        {
            "title": "Signing in is paused",
            "site_header": settings.SITE_NAME,
            "minutes": settings.LOGIN_LOCKOUT_MINUTES,
            "has_permission": False,
        },
        status=429,
    )
    return response.render()  # django-axes' middleware hands it on after templates are rendered


# --- Enrolment and codes ----------------------------------------------------------------------------------------


def totp_pending(user) -> TOTPDevice:
    """The authenticator being set up: the same secret until it is confirmed, so a reload shows the same code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Turn the authenticator on if the code it shows is right: the session counts as verified, and the first
    backup codes are made. None if the code is wrong."""
    if not device.verify_token(token):
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # one authenticator a person
    with audit.recorded_by_caller():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = backup_codes_issue(user=user, notify=False)
    user._has_two_factor = True
    otp_login(request, device)
    audit.record(audit.Action.TWO_FACTOR_ENROLLED, actor=user, target=user, detail="With an authenticator app.")
    _notify(user, "Two-factor sign-in was turned on for your account")
    return codes


@transaction.atomic
def backup_codes_issue(*, user, notify: bool = True) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working."""
    with audit.recorded_by_caller():
        device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    if notify:
        detail = f"{BACKUP_CODES} new backup codes; the old ones stopped working."
        audit.record(audit.Action.BACKUP_CODES_ISSUED, actor=user, target=user, detail=detail)
        _notify(user, "New backup codes were made for your account")
    return codes


@transaction.atomic
def two_factor_remove(*, user) -> None:
    if two_factor_required(user):
        raise PermissionError("Your role must sign in with a second factor.")
    with audit.recorded_by_caller():  # one event for the step, not one a device
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    user._has_two_factor = False
    audit.record(audit.Action.TWO_FACTOR_REMOVED, actor=user, target=user)
    _notify(user, "Two-factor sign-in was turned off for your account")


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _notify(user, subject: str) -> None:
    """A change to how an account signs in is mailed to its owner: if it was not them, they know at once. A worker
    sends it once the change is committed; it is kept with the change, so a broker or mail server that is down
    does not lose it."""
    if not user.email:
        return
    body = (
        f"{subject}, on {timezone.localtime():%d %B %Y at %H:%M}.\n\n"
        "If this was you, there is nothing to do. If it was not, tell the newsroom's administrator now: "
        "someone else knows your password.\n\n"
        f"{settings.SITE_NAME}\n"
    )
    outbox.mail_queue(kind=AccountMail.Kind.NOTICE, address=user.email, subject=subject, body=body)


# --- Views ----------------------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
        help_text="The six digits your authenticator app shows now, or one of your backup codes.",
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split()).replace("-", "")


def _context(request, **extra):
    from django.contrib import admin

    return {**admin.site.each_context(request), **extra}


def verify(request):
    """The second step of signing in: a code from the authenticator app, or a backup code."""
    next_url = _safe_next(request, reverse("admin:index"))
    if is_verified(request.user) or not has_two_factor(request.user):
        return redirect(next_url if is_verified(request.user) else step_url("enrol", next_url))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        key = f"2fa-failures:{request.user.pk}"
        if ratelimit.peek(key) >= settings.LOGIN_FAILURE_LIMIT * 2:
            form.add_error(None, f"Too many wrong codes. Try again in {settings.LOGIN_LOCKOUT_MINUTES} minutes.")
            status = 429
        elif device := match_token(request.user, form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(next_url)
        else:
            ratelimit.hit(key, limit=settings.LOGIN_FAILURE_LIMIT * 2, window_seconds=_window_seconds())
            form.add_error(
                "token",
                "That code did not work. Codes change every 30 seconds: check that your phone's clock is right, "
                "or use one of your backup codes (each works once). Each wrong code doubles the wait before the "
                "next try, starting at a second.",
            )
            status = 400
    return TemplateResponse(
        request,
        "admin/two_factor/verify.html",
        _context(request, title="Enter your code", form=form, next=next_url),
        status=status,
    )


def manage(request):
    """Set up the authenticator app (a QR code), make new backup codes, or turn two-factor sign-in off."""
    user = request.user
    enabled = has_two_factor(user)
    if enabled and not is_verified(user):
        return redirect(step_url("verify", request.get_full_path()))
    next_url = _safe_next(request, reverse("admin:index"))
    context = _context(request, title="Two-factor sign-in", required=two_factor_required(user), next=next_url)
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if not enabled:
        device = totp_pending(user)
        form = CodeForm(request.POST if action == "enrol" else None)
        if action == "enrol" and form.is_valid():
            codes = totp_confirm(request=request, device=device, token=form.cleaned_data["token"])
            if codes is not None:
                return _show_codes(request, codes, next_url, first=True)
            form.add_error("token", "That code did not work. Scan the QR code again, or type the key, and try again.")
            status = 400
        context |= {"form": form, "device": device, "qr": _qr_data_uri(device), "key": _key(device)}
        return TemplateResponse(request, "admin/two_factor/enrol.html", context, status=status)
    if action == "codes":
        return _show_codes(request, backup_codes_issue(user=user), next_url, first=False)
    if action == "remove" and not context["required"]:
        two_factor_remove(user=user)
        return redirect(reverse("admin:two_factor"))
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context |= {"totp": totp, "codes_left": backup_codes_left(user)}
    return TemplateResponse(request, "admin/two_factor/manage.html", context)


def _show_codes(request, codes: list[str], next_url: str, *, first: bool):
    """Backup codes are shown once, in this response only."""
    context = _context(request, title="Your backup codes", codes=codes, first=first, next=next_url)
    return TemplateResponse(request, "admin/two_factor/codes.html", context)


def _key(device: TOTPDevice) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _qr_data_uri(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def keep_alive(request):
    """Typing in the back office keeps the session (the page calls this now and then while someone works)."""
    return HttpResponse(status=204)


# --- Password reset by email --------------------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Keep the reset mail for a worker to send: the request does the same whether or not the address is a staff
    member's (the worker looks it up and makes the link), and neither a broker nor a mail server that is down
    loses it (accounts/outbox.py)."""
    outbox.mail_queue(kind=AccountMail.Kind.PASSWORD_RESET, address=email)


class StaffPasswordResetView(auth_views.PasswordResetView):
    form_class = outbox.StaffPasswordResetForm
    success_url = reverse_lazy("admin_password_reset_done")

    def form_valid(self, form):
        """At most PASSWORD_RESETS_PER_HOUR from an address, and three an hour to one mailbox; past that the page
        says the same as ever, so nothing tells whether a mail went."""
        ip = ratelimit.client_network(self.request)
        email = form.cleaned_data["email"]
        mailbox = email.strip().lower()
        per_ip = ratelimit.hit(f"password-reset:{ip}", limit=settings.PASSWORD_RESETS_PER_HOUR, window_seconds=3600)
        per_mailbox = ratelimit.hit(f"password-reset:{mailbox}", limit=3, window_seconds=3600)
        if per_ip and per_mailbox:
            password_reset_request(email=email)
        return redirect(self.get_success_url())


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        with transaction.atomic(), audit.recorded_by_caller():
            response = super().form_valid(form)  # other sessions end: the password is part of their hash
            detail = "With the link mailed to the account"
            audit.record(audit.Action.PASSWORD_RESET, actor=form.user, target=form.user, detail=detail)
        axes_reset(username=form.user.get_username())  # the account may sign in again at once
        return response


def _touch(session) -> None:
    session["_touched"] = int(timezone.now().timestamp())


def session_started(sender, request, user, **kwargs) -> None:
    """Signing in writes the session anyway: its idle clock starts there (Django's user_logged_in signal)."""
    _touch(request.session)


def idle_timeout(get_response):
    """A session lasts STAFF_IDLE_MINUTES after its last request (SESSION_COOKIE_AGE); it is written again at most
    once a minute to move that on, not on every request. Requests without a session cookie (readers') are left
    alone: reading the session would mark their pages as varying by cookie, and so uncacheable."""

    def middleware(request):
        response = get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            if timezone.now().timestamp() - request.session.get("_touched", 0) >= 60:
                _touch(request.session)
        return response

    return middleware
