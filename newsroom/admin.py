from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse

from . import accounts


class InputChecks:
    """Parameters of the change list, and of an object's pages, that Django's admin answered with a 500."""

    def get_object(self, request, object_id, from_field=None):
        """An empty '?_to_field=' on an object's change or delete page names no field: the primary key is
        meant, where Django looked up a field named ''."""
        return super().get_object(request, object_id, from_field or None)

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except OverflowError as exc:  # ?published_at__year=99999999999999999999: a date no calendar has
            raise IncorrectLookupParameters(exc) from exc

    def response_action(self, request, queryset):
        """A selection that names no row ('_selected_action=abc') is refused with a message; Django looked it up
        as a primary key."""
        if not all(_names_a_row(self.model._meta.pk, value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            self.message_user(request, "Nothing was done: the selection was not valid. Select again.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class NoncedMedia:
    """An import map (the body editor's) is inline code: it carries the response's CSP nonce, which the back
    office's policy allows (newsroom/security.py)."""

    def render_change_form(self, request, context, *args, **kwargs):
        if getattr(media := context.get("media"), "_importmap", None) is not None:
            context["media"] = media.with_nonce(request.csp_nonce)
        return super().render_change_form(request, context, *args, **kwargs)


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: shown, never added, edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NewsroomAdminSite(admin.AdminSite):
    site_header = f"{settings.SITE_NAME} newsroom"
    site_title = "Newsroom"
    index_title = "Back office"

    def has_permission(self, request):
        """Staff, and signed in with the second factor where the account has one or must (newsroom/accounts.py).
        Signing out needs no second factor."""
        if not super().has_permission(request):
            return False
        return request.path == reverse("admin:logout", current_app=self.name) or accounts.missing_step(request) is None

    def login(self, request, extra_context=None):
        """The password step. A signed-in account that still owes its second factor goes on to it; an address
        with too many failed passwords is refused before any password is checked."""
        if request.method == "POST" and accounts.address_locked(request):
            return accounts.locked_out(request)
        if request.method == "GET" and (step := accounts.missing_step(request)) and request.user.is_staff:
            return redirect(accounts.step_url(step, request.GET.get("next", "")))
        response = super().login(request, extra_context)
        if request.method == "POST" and response.status_code == 302 and (step := accounts.missing_step(request)):
            return redirect(accounts.step_url(step, response["Location"]))
        return response

    def get_urls(self):
        return [
            path("two-factor/", accounts.staff_signed_in(accounts.manage), name="two_factor"),
            path("two-factor/verify/", accounts.staff_signed_in(accounts.verify), name="two_factor_verify"),
            path("keep-alive/", self.admin_view(accounts.keep_alive), name="keep_alive"),
            *super().get_urls(),
        ]

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model's admin, ours and the contrib apps', checks the change list's parameters and puts the CSP
        nonce on inline code."""
        admin_class = admin_class or admin.ModelAdmin
        checked = type(
            admin_class.__name__, (InputChecks, NoncedMedia, admin_class), {"__module__": admin_class.__module__}
        )
        super().register(model_or_iterable, checked, **options)


class CheckedValues:
    """Re-showing a posted value that names no row ('section=1\\x00', 'lead_image=abc') drops it, where
    Django's autocomplete widget looked it up and answered 500 instead of showing the form's error."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(
            getattr(self.field.remote_field, "field_name", None) or self.field.remote_field.model._meta.pk.name
        )
        return super().optgroups(name, [v for v in value if _names_a_row(target, v)], attr)


def _names_a_row(field, value) -> bool:
    try:
        value = field.to_python(value)
    except ValidationError:
        return False
    if isinstance(value, int):  # SQLite cannot even compare a number past 64 bits
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or value >= low) and (high is None or value <= high)
    return True


class CheckedAutocompleteSelect(CheckedValues, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(CheckedValues, AutocompleteSelectMultiple):
    pass


class SafeAutocomplete:
    """For admins and inlines with autocomplete_fields."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
