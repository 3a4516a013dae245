import datetime

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView, TemplateView

from articles.models import published_filter
from newsroom import ratelimit

from .consent import consent_text
from .forms import PreferencesForm, SubscribeForm
from .models import Edition, Newsletter
from .services import (
    ConfirmationsPaused,
    LinkNoLongerValid,
    preferences_read,
    preferences_update,
    subscriber_for_link,
    subscription_confirm,
    subscription_for_link,
    subscription_request,
    subscription_unsubscribe,
)
from .tokens import LinkExpired, LinkInvalid


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:500]


def _safe_source(value: str) -> str:
    """Only a path on this site is kept as the sign-up's source (cut to fit)."""
    return value[:500] if value.startswith("/") and not value.startswith("//") else ""


def is_cross_site(request) -> bool:
    """Sent by a page of another site: the browser says so (Sec-Fetch-Site), or the Origin is not ours."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin:
        return False  # an old browser or a script: no different from a direct POST
    return origin not in {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}


@method_decorator(csrf_exempt, name="dispatch")
class SubscribeView(View):
    """Sign-up. No CSRF token, so every page with the form stays the same for all readers and cacheable:
    the form acts for no logged-in user and nothing happens until the address's owner confirms. What a
    token would also stop, another site making its visitors' browsers post addresses (each visitor a new
    IP for the rate limit), is refused from the browser's own Sec-Fetch-Site and Origin headers."""

    template_name = "newsletter/subscribe.html"

    def get(self, request):
        return render(request, self.template_name, {"form": SubscribeForm()})

    def post(self, request):
        if is_cross_site(request):
            form = SubscribeForm(request.POST)
            form.is_valid()
            form.add_error(None, "Please sign up from this page: sign-ups sent from other websites are refused.")
            return render(request, self.template_name, {"form": form}, status=403)
        form = SubscribeForm(request.POST)
        if form.is_bot:
            return redirect("newsletter:check_inbox")
        ip = ratelimit.client_ip(request)
        allowed = ratelimit.hit(f"signup:{ip}", limit=settings.NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR, window_seconds=3600)
        if not allowed:
            form.is_valid()
            form.add_error(None, "Too many sign-ups have come from your network in the last hour. Try again later.")
            return render(request, self.template_name, {"form": form}, status=429)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            subscription_request(
                email=form.cleaned_data["email"],
                newsletter=form.cleaned_data["newsletter"],
                source=_safe_source(form.cleaned_data["source"]),
                ip=ip,
                user_agent=_user_agent(request),
            )
        except ConfirmationsPaused:
            form.add_error(
                None,
                "We cannot send confirmation emails for a while: an unusual number of sign-ups has come in. "
                "Nothing was saved; please try again in an hour.",
            )
            return render(request, self.template_name, {"form": form}, status=429)
        return redirect("newsletter:check_inbox")


class CheckInboxView(TemplateView):
    template_name = "newsletter/check_inbox.html"


def link_problem(request, exc):
    """A clear page for a link that cannot be used, offering to sign up again."""
    if isinstance(exc, LinkExpired):
        reason, status = "expired", 410
    elif isinstance(exc, LinkNoLongerValid):
        reason, status = "used", 410
    else:
        reason, status = "invalid", 400
    return render(request, "newsletter/link_problem.html", {"reason": reason, "form": SubscribeForm()}, status=status)


@method_decorator(never_cache, name="dispatch")
class EmailLinkView(View):
    """A link from one of our emails: GET shows the page with one button and changes nothing; only the
    POST acts. Expired, tampered or used-up links get a page that offers to sign up again."""

    confirmation: bool
    page_template: str
    done_template: str

    def act(self, request, token):
        raise NotImplementedError

    def get(self, request, token):
        try:
            subscription = subscription_for_link(token=token, confirmation=self.confirmation)
        except (LinkExpired, LinkInvalid, LinkNoLongerValid) as exc:
            return link_problem(request, exc)
        return render(request, self.page_template, {"subscription": subscription})

    def post(self, request, token):
        try:
            subscription = self.act(request, token)
        except (LinkExpired, LinkInvalid, LinkNoLongerValid) as exc:
            return link_problem(request, exc)
        context = {
            "subscription": subscription,
            "signup_url": reverse("newsletter:subscribe"),
            **self.done_context(token),
        }
        return render(request, self.done_template, context)

    def done_context(self, token) -> dict:
        return {}


class ConfirmView(EmailLinkView):
    """Mail scanners that fetch links confirm nobody: only the button's POST does."""

    confirmation = True
    page_template = "newsletter/confirm.html"
    done_template = "newsletter/confirmed.html"

    def act(self, request, token):
        return subscription_confirm(token=token, ip=ratelimit.client_ip(request), user_agent=_user_agent(request))


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(EmailLinkView):
    """One click to leave. The POST needs no CSRF token or session: mail clients send it (RFC 8058)."""

    confirmation = False
    page_template = "newsletter/unsubscribe.html"
    done_template = "newsletter/unsubscribed.html"

    def done_context(self, token) -> dict:
        return {"preferences_url": reverse("newsletter:preferences", kwargs={"token": token})}

    def act(self, request, token):
        return subscription_unsubscribe(
            token=token,
            ip=ratelimit.client_ip(request),
            user_agent=_user_agent(request),
            edition_id=_edition_id(request.GET.get("edition", "")),
        )


def _edition_id(value: str) -> int | None:
    """The edition an email's unsubscribe link names (`?edition=`), if it is a plausible id; links sent before
    editions were named have none."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _listed(newsletters) -> str:
    return ", ".join(newsletter.name for newsletter in newsletters)


@method_decorator(never_cache, name="dispatch")
class PreferencesView(View):
    """A reader's newsletters, from the link in every email (its unsubscribe token): GET shows them and
    changes nothing; the form's POST applies the ticks, or ends everything."""

    template_name = "newsletter/preferences.html"

    def dispatch(self, request, token):
        try:
            self.subscriber = subscriber_for_link(token=token)
        except (LinkExpired, LinkInvalid, LinkNoLongerValid) as exc:
            response = link_problem(request, exc)
        else:
            response = super().dispatch(request, token)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get(self, request, token, status=200, form=None):
        context = {
            "subscriber": self.subscriber,
            "choices": preferences_read(subscriber=self.subscriber),
            "consent_text": consent_text(),
            "form": form,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, token):
        ip, user_agent = ratelimit.client_ip(request), _user_agent(request)
        if request.POST.get("action") == "everything":
            preferences_update(
                subscriber=self.subscriber,
                wanted_newsletters=[],
                ip=ip,
                user_agent=user_agent,
                note="preferences page: unsubscribed from everything",
                edition_id=_edition_id(request.GET.get("edition", "")),
            )
            messages.success(request, "Done: you are unsubscribed from everything. We will send you no newsletter.")
            return redirect(request.path)
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return self.get(request, token, status=400, form=form)
        change = preferences_update(
            subscriber=self.subscriber,
            wanted_newsletters=form.cleaned_data["newsletters"],
            ip=ip,
            user_agent=user_agent,
            edition_id=_edition_id(request.GET.get("edition", "")),
        )
        said = []
        if change.subscribed:
            said.append(f"You are now subscribed to {_listed(change.subscribed)}.")
        if change.awaiting:
            said.append(f"To start {_listed(change.awaiting)}, confirm with the link we have just emailed you.")
        if change.ended:
            said.append(f"You are unsubscribed from {_listed(change.ended)}.")
        if change.refused:
            said.append(
                f"We could not start {_listed(change.refused)}: mail to this address cannot be delivered, "
                "or it asked us never to write again."
            )
        if change.paused:
            said.append(
                f"We could not start {_listed(change.paused)} yet: we cannot send confirmation emails for a while. "
                "Please try again in an hour."
            )
        messages.success(request, " ".join(["Your choices are saved.", *said]))
        return redirect(request.path)


class EditionView(DetailView):
    """An edition's web version: what the email's "View in your browser" opens. Only editions that went out
    are here; a story unpublished since drops out of it."""

    template_name = "newsletter/edition_detail.html"
    context_object_name = "edition"

    def get_object(self, queryset=None):
        try:
            day = datetime.date.fromisoformat(self.kwargs["date"])
        except ValueError:
            raise Http404("Not a date") from None
        return get_object_or_404(
            Edition.objects.public().select_related("newsletter"), newsletter__slug=self.kwargs["slug"], issue_date=day
        )

    def get_context_data(self, **kwargs):
        # One query: the stories still published, with their sections and lead images.
        items = (
            self.object.items.filter(published_filter("article__"))
            .select_related("article__section", "article__lead_image")
            .defer("article__body", "article__search_vector")
            .order_by("order", "pk")
        )
        return super().get_context_data(items=list(items), **kwargs)


class EditionArchiveView(ListView):
    """A newsletter's past editions, newest first; a page number past the end is a 404, as on every list."""

    template_name = "newsletter/edition_archive.html"
    context_object_name = "editions"
    paginate_by = 30

    def get_queryset(self):
        self.newsletter = get_object_or_404(Newsletter, slug=self.kwargs["slug"])
        return (
            Edition.objects.public()
            .filter(newsletter=self.newsletter)
            .defer("rendered_html", "rendered_text", "intro")  # the whole email, 30 times over: not needed here
            .select_related("newsletter")
            .order_by("-issue_date", "-pk")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(newsletter=self.newsletter, **kwargs)
