import csv

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from newsletter.export import neutralise
from newsroom.admin import RecordAdmin

from .models import AuditEvent

CSV_COLUMNS = ["when", "who", "action", "object type", "object id", "object", "detail"]


class PersonFilter(admin.SimpleListFilter):
    """The staff who have taken a recorded step. An account deleted since is found by searching its name."""

    title = "person"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        User = get_user_model()
        people = User.objects.filter(pk__in=AuditEvent.objects.values("actor_id")).order_by(User.USERNAME_FIELD)
        return [(str(person.pk), person.get_username()) for person in people]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(actor_id=self.value()) if self.value().isdigit() else queryset.none()


class _Line:
    def write(self, value):
        return value


def actor_shown(event: AuditEvent) -> str:
    """The name recorded at the time, and the account's name now if it has been renamed since."""
    if event.actor is not None and event.actor.get_username() != event.actor_name:
        return f"{event.actor_name} (now {event.actor.get_username()})"
    return event.actor_name


def csv_lines(events):
    """The header, then one line an event; a cell a spreadsheet could run as a formula is kept as text."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(CSV_COLUMNS)
    for event in events.select_related("actor").iterator(chunk_size=2000):
        row = [event.at, actor_shown(event), event.get_action_display(), event.object_type, event.object_id]
        yield writer.writerow([neutralise(value) for value in [*row, event.object_repr, event.detail]])


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    """The audit record: read by those with the view permission (Editors), never added to, changed or deleted
    here, by anyone."""

    list_display = ["at", "who", "action", "target", "detail"]
    list_filter = ["action", PersonFilter, ("at", admin.DateFieldListFilter)]
    date_hierarchy = "at"
    search_fields = ["object_repr", "detail", "actor_name"]
    search_help_text = "Searches the object (e.g. a headline), the detail and the person's name."
    list_select_related = ["actor"]
    fields = ["at", "actor_name", "actor", "action", "object_type", "object_id", "object_repr", "detail"]
    actions = None
    list_per_page = 100
    change_list_template = "admin/audit/auditevent/change_list.html"

    @admin.display(description="who", ordering="actor_name")
    def who(self, obj):
        return actor_shown(obj) or "—"

    @admin.display(description="object", ordering="object_repr")
    def target(self, obj):
        if not obj.object_type:
            return "—"
        try:
            kind = apps.get_model(obj.object_type)._meta.verbose_name.capitalize()
        except (LookupError, ValueError):
            kind = obj.object_type
        app_label, _, model_name = obj.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.object_id])
        except NoReverseMatch:
            return f"{kind}: {obj.object_repr}"
        return format_html('{}: <a href="{}">{}</a>', kind, url, obj.object_repr)

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="audit_auditevent_export"), *super().get_urls()]

    def export_view(self, request):
        """Every event the change list shows with its current filters and search, not just one page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            events = self.get_changelist_instance(request).get_queryset(request)
        except (IncorrectLookupParameters, FieldError, ValidationError, ValueError):
            return HttpResponseBadRequest(
                "Those filters are not valid. Go back to the audit events and choose them there.",
                content_type="text/plain",
            )
        response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M}.csv"'
        response["Cache-Control"] = "no-store"
        return response
