from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from .export import LEDGER_COLUMNS, STANDARD_COLUMNS, recorded_csv_lines
from .forms import ImportForm
from .imports import subscribers_import
from .models import ConsentEvent, Newsletter, Subscriber, SubscriberExport, Subscription
from .services import subscribers_erase, subscriptions_unsubscribe

AUDIT_FIELDS = ["subscriber", "newsletter", "status", "created_at", *STANDARD_COLUMNS[3:], *LEDGER_COLUMNS]


def csv_download(lines, *, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default", "active_subscribers"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        active = Count("subscriptions", filter=Q(subscriptions__status=Subscription.Status.ACTIVE))
        return super().get_queryset(request).annotate(active_count=active)

    @admin.display(description="Active subscribers", ordering="active_count")
    def active_subscribers(self, obj):
        return obj.active_count


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
        subscribers_erase(subscribers=Subscriber.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        subscribers_erase(subscribers=queryset)


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["kind", "at", "source", "consent_version", "ip", "user_agent", "note"]
    readonly_fields = fields
    verbose_name_plural = "history (consent ledger)"

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
class SubscriberExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "run_by", "via", "filters", "row_count"]
    list_filter = ["via", "created_at"]
    readonly_fields = ["created_at", "user", "run_by", "via", "filters", "row_count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
