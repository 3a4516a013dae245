from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from articles.models import Article
from newsroom.admin import RecordAdmin, SafeAutocomplete

from . import editions
from .export import LEDGER_COLUMNS, STANDARD_COLUMNS, consent_csv_lines, recorded_csv_lines
from .forms import ImportForm
from .imports import subscribers_import
from .models import (
    ConsentEvent,
    Delivery,
    DeliveryEvent,
    Edition,
    EditionItem,
    Newsletter,
    Subscriber,
    SubscriberExport,
    Subscription,
    Suppression,
    absolute_url,
    clean_address,
)
from .rendering import edition_render, frozen, list_headers, staff_copy
from .reports import edition_report, newsletter_daily
from .sending import message_build
from .services import subscribers_erase, subscriptions_unsubscribe
from .suppression import (
    LIFTED_BY_CONFIRMED_SIGNUP,
    STAFF_REASONS,
    address_hash,
    suppress,
    suppression_for,
    suppressions_remove,
)

AUDIT_FIELDS = ["subscriber", "newsletter", "status", "created_at", *STANDARD_COLUMNS[3:], *LEDGER_COLUMNS]


def csv_download(lines, *, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    change_form_template = "admin/newsletter/newsletter/change_form.html"
    list_display = ["name", "slug", "is_default", "send_time", "sends_without_approval", "active_subscribers"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["sections"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "is_default"]}),
        ("The daily edition", {"fields": ["sections", "items_per_edition", "send_time", "sends_without_approval"]}),
    ]

    def get_queryset(self, request):
        active = Count("subscriptions", filter=Q(subscriptions__status=Subscription.Status.ACTIVE))
        return super().get_queryset(request).annotate(active_count=active)

    @admin.display(description="Active subscribers", ordering="active_count")
    def active_subscribers(self, obj):
        return obj.active_count

    def change_view(self, request, object_id, form_url="", extra_context=None):
        newsletter = self.get_object(request, object_id)
        extra = {"daily": newsletter_daily(newsletter)} if newsletter is not None else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    can_delete = False
    fields = ["newsletter", "status", "subscribed_at", "confirmed_at", "unsubscribed_at", "source"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at", "newsletters"]
    search_fields = ["email"]
    list_filter = ["subscriptions__newsletter", "subscriptions__status", "created_at"]
    readonly_fields = ["email", "created_at"]
    inlines = [SubscriptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("subscriptions__newsletter")

    @admin.display(description="Subscriptions")
    def newsletters(self, obj):
        return ", ".join(f"{s.newsletter} ({s.get_status_display().lower()})" for s in obj.subscriptions.all())

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        subscribers_erase(subscribers=Subscriber.objects.filter(pk=obj.pk), user=request.user)

    def delete_queryset(self, request, queryset):
        subscribers_erase(subscribers=queryset, user=request.user)


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["kind", "at", "source", "consent_version", "ip", "user_agent", "note", "edition"]
    readonly_fields = fields
    verbose_name_plural = "history (consent ledger)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("edition__newsletter")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "newsletter", "status", "subscribed_at", "confirmed_at", "unsubscribed_at", "source"]
    list_filter = ["newsletter", "status", ("subscribed_at", admin.DateFieldListFilter)]
    search_fields = ["subscriber__email"]
    list_select_related = ["subscriber", "newsletter"]
    readonly_fields = AUDIT_FIELDS
    fields = AUDIT_FIELDS
    date_hierarchy = "subscribed_at"
    inlines = [ConsentEventInline]
    actions = ["export_selected", "unsubscribe_selected"]
    change_list_template = "admin/newsletter/subscription/change_list.html"
    list_per_page = 100
    show_full_result_count = True

    def has_add_permission(self, request):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("newsletter.export_subscribers")

    def has_import_permission(self, request):
        return request.user.has_perm("newsletter.import_subscribers")

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="newsletter_subscription_export"),
            path(
                "export-consent/",
                self.admin_site.admin_view(self.consent_export_view),
                name="newsletter_subscription_consent_export",
            ),
            path("import/", self.admin_site.admin_view(self.import_view), name="newsletter_subscription_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(
            request,
            {
                "can_export": self.has_export_permission(request),
                "can_import": self.has_import_permission(request),
                **(extra_context or {}),
            },
        )
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            counts = dict(changelist.queryset.order_by().values_list("status").annotate(n=Count("pk")))
            response.context_data["status_counts"] = [
                (label, counts.get(value, 0)) for value, label in Subscription.Status.choices
            ]
        return response

    @admin.action(description="Export selected subscriptions to CSV", permissions=["export"])
    def export_selected(self, request, queryset):
        filters = f"selected: {queryset.count()} rows"
        lines = recorded_csv_lines(queryset, user=request.user, via="admin", filters=filters)
        return csv_download(lines, name="subscribers-selected")

    @admin.action(description="Unsubscribe selected (e.g. on a reader's request)", permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        count = subscriptions_unsubscribe(
            subscriptions=queryset, note=f"unsubscribed in the admin by {request.user.get_username()}"
        )
        self.message_user(request, f"{count} subscriptions unsubscribed.", messages.SUCCESS)

    def export_view(self, request):
        """Everything matching the change list's current search and filters, not just one page."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
            queryset = changelist.get_queryset(request)
        except (IncorrectLookupParameters, FieldError, ValidationError, ValueError):
            return HttpResponseBadRequest(
                "Those filters are not valid. Go back to the subscriptions list and choose them there.",
                content_type="text/plain",
            )
        filters = request.GET.urlencode() or "everything"
        lines = recorded_csv_lines(queryset, user=request.user, via="admin", filters=filters)
        return csv_download(lines, name="subscribers")

    def consent_export_view(self, request):
        """The whole consent history: every event of every subscription, all cycles, oldest first."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        events = ConsentEvent.objects.all()
        lines = recorded_csv_lines(
            events, user=request.user, via="admin", filters="consent history: everything", lines=consent_csv_lines
        )
        return csv_download(lines, name="consent-history")

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        report = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = subscribers_import(
                file=form.cleaned_data["file"],
                newsletter=form.cleaned_data["newsletter"],
                consent_note=form.cleaned_data["consent_note"],
                user=request.user,
            )
            if report.ok:
                self.log_change(
                    request,
                    form.cleaned_data["newsletter"],
                    f"Imported {report.created} subscriptions from {form.cleaned_data['file'].name}",
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import subscribers",
            "opts": self.opts,
            "form": form,
            "report": report,
            "changelist_url": reverse("admin:newsletter_subscription_changelist"),
        }
        return render(request, "admin/newsletter/subscription/import.html", context)


@admin.register(SubscriberExport)
class SubscriberExportAdmin(RecordAdmin):
    list_display = ["created_at", "user", "run_by", "via", "filters", "row_count"]
    list_filter = ["via", "created_at"]
    readonly_fields = ["created_at", "user", "run_by", "via", "filters", "row_count"]


class EditionItemForm(forms.ModelForm):
    class Meta:
        model = EditionItem
        fields = ["article", "order", "blurb"]
        widgets = {"blurb": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class EditionItemInline(SafeAutocomplete, admin.TabularInline):
    """The edition's stories: renumber to reorder, tick Delete to remove, add a row to add one."""

    model = EditionItem
    form = EditionItemForm
    extra = 1
    autocomplete_fields = ["article"]
    fields = ["article", "order", "blurb"]
    ordering = ["order", "pk"]
    verbose_name = "story"
    verbose_name_plural = "stories (in the order of the numbers; lowest first)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["queryset"] = Article.objects.published()  # an edition links readers to live stories only
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_editable)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the newsroom's time zone. A time already past sends at once.",
    )


FAILURES_SHOWN = 200


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["issue_date", "newsletter", "subject", "status", "recipient_count", "sent_count", "failed_count"]
    list_display_links = ["issue_date", "subject"]
    list_filter = ["status", "newsletter"]
    list_select_related = ["newsletter"]
    date_hierarchy = "issue_date"
    search_fields = ["subject"]
    inlines = [EditionItemInline]
    change_form_template = "admin/newsletter/edition/change_form.html"
    readonly_fields = ["status", "send_at", "approved_by", "approved_at"]
    fieldsets = [
        (None, {"fields": ["newsletter", "issue_date", "subject", "preheader", "intro"]}),
        ("Approval", {"fields": ["status", "send_at", "approved_by", "approved_at"]}),
    ]

    class Media:
        css = {"all": ["newsletter/admin/edition.css"]}
        js = ["newsletter/admin/edition-progress.js"]

    def has_change_permission(self, request, obj=None):
        """Once it has gone out (or begun to), an edition is a record: its page shows the report instead."""
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        removable = obj is None or obj.is_editable or obj.started_at is None
        return super().has_delete_permission(request, obj) and removable

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting many at once would skip the per-edition check
        return actions

    @staticmethod
    def has_send_permission(request) -> bool:
        return request.user.has_perm("newsletter.send_edition")

    def get_urls(self):
        steps = {
            "preview": self.preview_view,
            "progress": self.progress_view,
            "send-test": self.send_test_view,
            "schedule": self.schedule_view,
            "unschedule": self.unschedule_view,
            "send-now": self.send_now_view,
            "pause": self.pause_view,
            "resume": self.resume_view,
            "cancel": self.cancel_view,
        }
        return [
            *(
                path(f"<int:pk>/{step}/", self.admin_site.admin_view(view), name=f"newsletter_edition_{name}")
                for step, view in steps.items()
                for name in [step.replace("-", "_")]
            ),
            *super().get_urls(),
        ]

    # Reading: anyone who may see editions.

    def _edition(self, request, pk) -> Edition:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Edition.objects.select_related("newsletter"), pk=pk)

    def _sending(self, request, pk) -> Edition:
        """State changes: the send permission, checked here whatever the page showed."""
        if not self.has_send_permission(request):
            raise PermissionDenied
        return self._edition(request, pk)

    @staticmethod
    def rendered(edition: Edition):
        """What subscribers get: as frozen when sending started, or as it would be rendered now."""
        return frozen(edition) if edition.started_at else edition_render(edition)

    @staticmethod
    def preview_unsubscribe_url() -> str:
        """Staff are not subscribers: their copy's unsubscribe and preferences links go to the harmless sign-up
        page."""
        return absolute_url(reverse("newsletter:subscribe"))

    def preview_view(self, request, pk):
        edition = self._edition(request, pk)
        rendered = self.rendered(edition)
        html, text = staff_copy(rendered, url=self.preview_unsubscribe_url())
        context = {
            **self._context(request, edition, f"Preview: {rendered.subject}"),
            "subject": rendered.subject,
            "html": html,
            "text": text,
        }
        return render(request, "admin/newsletter/edition/preview.html", context)

    def progress_view(self, request, pk):
        edition = self._edition(request, pk)
        return JsonResponse(progress(edition), headers={"Cache-Control": "no-store"})

    # Steps: the send permission, POST only (the confirmation pages are GETs that change nothing).

    def send_test_view(self, request, pk):
        edition = self._sending(request, pk)
        if request.method != "POST":
            return redirect(self._change_url(edition))
        if not request.user.email:
            self.message_user(
                request, "Nothing was sent: your account has no email address. Add one first.", messages.ERROR
            )
            return redirect(self._change_url(edition))
        rendered = self.rendered(edition)
        unsubscribe_url = self.preview_unsubscribe_url()
        message = message_build(
            rendered,
            to=request.user.email,
            copy=staff_copy(rendered, url=unsubscribe_url),
            headers=list_headers(edition, unsubscribe_url),
        )
        message.subject = f"[Test] {rendered.subject}"
        message.send()
        editions.log_step(edition, request.user, f"Test sent to {request.user.email}")
        self.message_user(request, f"A test was sent to {request.user.email}.", messages.SUCCESS)
        return redirect(self._change_url(edition))

    def schedule_view(self, request, pk):
        edition = self._sending(request, pk)
        default = edition.send_at or max(edition.newsletter.send_at(edition.issue_date), timezone.now())
        form = ScheduleForm(request.POST or None, initial={"send_at": timezone.localtime(default)})
        if request.method == "POST" and form.is_valid():
            send_at = form.cleaned_data["send_at"]
            run = partial(editions.edition_schedule, edition=edition, user=request.user, send_at=send_at)
            return self._step(request, edition, run, "Scheduled.")
        context = {**self._context(request, edition, f"Schedule {edition}"), "form": form}
        return render(request, "admin/newsletter/edition/schedule.html", context)

    def unschedule_view(self, request, pk):
        edition = self._sending(request, pk)
        return self._post_step(request, edition, editions.edition_unschedule, "Back to draft.")

    def send_now_view(self, request, pk):
        edition = self._sending(request, pk)
        if request.method == "POST":
            return self._step(
                request,
                edition,
                lambda: editions.edition_send_now(edition=edition, user=request.user),
                "Sending has started.",
            )
        recipients = Subscription.objects.filter(
            newsletter=edition.newsletter, status=Subscription.Status.ACTIVE
        ).count()
        context = {
            **self._context(request, edition, f"Send {edition} now?"),
            "recipients": recipients,
            "action": "send_now",
            "question": f"Send “{edition.subject}” now to {recipients} subscriber{'s' if recipients != 1 else ''} "
            f"of {edition.newsletter}?",
            "button": f"Yes, send it to {recipients} subscriber{'s' if recipients != 1 else ''}",
        }
        return render(request, "admin/newsletter/edition/confirm.html", context)

    def pause_view(self, request, pk):
        edition = self._sending(request, pk)
        return self._post_step(request, edition, editions.edition_pause, "Paused.")

    def resume_view(self, request, pk):
        edition = self._sending(request, pk)
        return self._post_step(request, edition, editions.edition_resume, "Resumed.")

    def cancel_view(self, request, pk):
        edition = self._sending(request, pk)
        if request.method == "POST":
            return self._post_step(request, edition, editions.edition_cancel, "Cancelled.")
        left = f" {edition.left_count} subscribers not yet mailed will not get it." if edition.started_at else ""
        context = {
            **self._context(request, edition, f"Cancel {edition}?"),
            "action": "cancel",
            "question": f"Cancel “{edition.subject}” for good?{left} This cannot be undone.",
            "button": "Yes, cancel this edition",
        }
        return render(request, "admin/newsletter/edition/confirm.html", context)

    def _post_step(self, request, edition, service, done: str):
        if request.method != "POST":
            return redirect(self._change_url(edition))
        return self._step(request, edition, lambda: service(edition=edition, user=request.user), done)

    def _step(self, request, edition, run, done: str):
        try:
            run()
        except editions.EditionStateError as error:
            self.message_user(request, f"Nothing was done: {error}", messages.ERROR)
        else:
            self.message_user(request, f"“{edition}”: {done}", messages.SUCCESS)
        return redirect(self._change_url(edition))

    @staticmethod
    def _change_url(edition) -> str:
        return reverse("admin:newsletter_edition_change", args=[edition.pk])

    def _context(self, request, edition, title) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": edition,
            "change_url": self._change_url(edition),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        edition = self.get_object(request, object_id)  # None for an id that names nothing (or is no number)
        extra = {}
        if edition is not None and self.has_view_or_change_permission(request, edition):
            failures = Delivery.objects.filter(edition=edition, status=Delivery.Status.FAILED)
            extra = {
                "can_send": self.has_send_permission(request),
                "progress": progress(edition),
                "report": edition_report(edition) if edition.started_at else None,
                "complaint_warning": settings.NEWSLETTER_COMPLAINT_WARNING,
                "complaint_pause": settings.NEWSLETTER_COMPLAINT_PAUSE,
                "failures": failures.select_related("subscription__subscriber").order_by("pk")[:FAILURES_SHOWN],
                "shows_addresses": request.user.has_perm("newsletter.view_subscriber"),
                "web_url": edition.get_absolute_url() if edition.started_at else "",
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


def progress(edition: Edition) -> dict:
    """Where a send stands, for the edition's page and its polling script."""
    return {
        "status": edition.status,
        "status_label": edition.get_status_display(),
        "recipients": edition.recipient_count,
        "sent": edition.sent_count,
        "failed": edition.failed_count,
        "skipped": edition.skipped_count,
        "left": edition.left_count,
        "paused_reason": edition.paused_reason,
        "polling": edition.status == Edition.Status.SENDING,
    }


class SuppressionAddForm(forms.ModelForm):
    # Text, not an email field: an address pasted as a mail program shows it ("Jane <jane@example.org>") is
    # taken bare; anything that is not one address is refused with the reason.
    email = forms.CharField(
        label="Email",
        max_length=320,
        help_text="Nothing is sent to this address again, and sign-up, import and the admin cannot add it back.",
    )

    class Meta:
        model = Suppression
        fields = ["email", "reason", "note"]
        labels = {"note": "Why"}
        help_texts = {"note": "e.g. 'asked by phone', or the ticket number. Kept with the entry."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not "erased": only erasing the subscriber makes that entry, which staff could then never lift.
        self.fields["reason"].choices = STAFF_REASONS
        self.fields["reason"].initial = Suppression.Reason.STAFF

    def clean_email(self):
        email = clean_address(self.cleaned_data["email"])
        existing = suppression_for(email)
        if existing is not None:
            raise ValidationError(f"This address is already suppressed ({existing.get_reason_display().lower()}).")
        return email


class SuppressionRemoveForm(forms.Form):
    reason = forms.CharField(
        label="Why are these addresses being taken off the list?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with each entry, with your name and the time.",
    )


class ActiveSuppressionFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Suppressed"), ("removed", "Taken off the list")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(removed_at=None)
        if self.value() == "removed":
            return queryset.exclude(removed_at=None)
        return queryset


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """The suppression list: add an address (it is suppressed and its subscriptions end), search it (also
    for an erased address, by its hash), and take addresses off it with a reason. Nothing is deleted."""

    list_display = ["address", "reason", "created_at", "added_by", "note", "removed_at"]
    list_filter = [ActiveSuppressionFilter, "reason", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["added_by"]
    search_fields = ["email", "note"]
    search_help_text = "An address (also finds erased ones, whose address is no longer kept) or words of the note."
    actions = ["remove_selected"]
    readonly_fields = [
        "address",
        "reason",
        "created_at",
        "added_by",
        "note",
        "source_event",
        "removed_at",
        "removed_by",
        "removal_reason",
    ]
    list_per_page = 100

    @admin.display(description="Address", ordering="email")
    def address(self, obj):
        return obj.email or "(erased: only its hash is kept)"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SuppressionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["email", "reason", "note"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            results = results | queryset.filter(address_hash=address_hash(search_term))
        return results, duplicates

    def save_model(self, request, obj, form, change):
        suppression, _ = suppress(
            form.cleaned_data["email"], reason=form.cleaned_data["reason"], user=request.user, note=obj.note
        )
        obj.pk = suppression.pk

    def has_change_permission(self, request, obj=None):
        return False  # a record: taken off the list with a reason, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("newsletter.change_suppression"):
            actions.pop("remove_selected", None)
        return actions

    @admin.action(description="Take selected addresses off the suppression list…")
    def remove_selected(self, request, queryset):
        if not request.user.has_perm("newsletter.change_suppression"):
            raise PermissionDenied
        # An erasure's entry is the reader's: only their own confirmed sign-up lifts it.
        active = queryset.filter(removed_at=None).exclude(reason__in=LIFTED_BY_CONFIRMED_SIGNUP)
        form = SuppressionRemoveForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = suppressions_remove(suppressions=active, user=request.user, reason=form.cleaned_data["reason"])
            self.message_user(request, f"{count} addresses taken off the suppression list.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Take addresses off the suppression list",
            "opts": self.opts,
            "form": form,
            "suppressions": active,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": "remove_selected",
        }
        return render(request, "admin/newsletter/suppression/remove.html", context)


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(RecordAdmin):
    """What the email provider reported, as it reported it."""

    list_display = ["occurred_at", "type", "recipient", "provider", "edition", "description"]
    list_filter = ["type", "provider", ("occurred_at", admin.DateFieldListFilter)]
    list_select_related = ["edition__newsletter"]
    search_fields = ["recipient", "message_id"]
    date_hierarchy = "occurred_at"
    list_per_page = 100
