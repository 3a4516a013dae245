"""What is done to staff accounts outside our own services: in the admin's pages for users, groups and second
factors (Django's UserAdmin and GroupAdmin, django-otp's device admins), in a management command or a shell.

These are Django's and django-otp's models, not our domain's flow, so they are heard on the models' signals
(the house rule of no signals is for our own workflows, which call `audit.record` themselves and silence these
with `recorded_by_caller`). Each step is recorded once, put down to the request's user where there is one, and
never with a password, its hash, a key or a code.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services as audit

Action = audit.Action
FLAGS = {
    "is_staff": (Action.STAFF_GRANTED, Action.STAFF_REMOVED),
    "is_superuser": (Action.SUPERUSER_GRANTED, Action.SUPERUSER_REMOVED),
}
DEVICE_KINDS = {TOTPDevice: "Authenticator app", StaticDevice: "Backup codes"}


def _record(action, *, target, detail: str = "", not_by=None) -> None:
    """`not_by`: an account being deleted, which cannot be the event's person (its row is going)."""
    if audit.is_recorded_by_caller():
        return
    actor, run_by = audit.acting()
    if actor is not None and not_by is not None and actor.pk == not_by.pk:
        actor, run_by = None, actor.get_username()
    audit.record(action, actor=actor, run_by=run_by, target=target, detail=detail)


def _before(instance, fields, update_fields) -> dict | None:
    """The row's values before this save, if the save may change any of `fields` (one query; none on a new row
    or a save of other fields, such as signing in)."""
    if instance._state.adding or instance.pk is None:
        return None
    if update_fields is not None and not set(fields) & set(update_fields):
        return None
    return type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first()


# Users ------------------------------------------------------------------------------------------------------------


def user_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        instance._audit_before = _before(instance, FLAGS, update_fields)


def user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        if instance.is_staff or instance.is_superuser:
            _record(Action.STAFF_CREATED, target=instance, detail="A superuser" if instance.is_superuser else "Staff")
        return
    before = instance.__dict__.pop("_audit_before", None) or {}
    for flag, (given, taken) in FLAGS.items():
        if flag in before and before[flag] != getattr(instance, flag):
            _record(given if getattr(instance, flag) else taken, target=instance)
    if instance._password is not None:  # set_password() in this save (not a hash upgrade at sign-in)
        actor, _ = audit.acting()
        if actor is None:
            detail = "Set outside the back office"
        else:
            detail = "Changed by its owner" if actor.pk == instance.pk else "Set by someone else"
        _record(Action.PASSWORD_CHANGED, target=instance, detail=detail)


def user_deleted(sender, instance, **kwargs):
    if instance.is_staff or instance.is_superuser:
        _record(Action.STAFF_DELETED, target=instance, not_by=instance)


# Groups and permissions ---------------------------------------------------------------------------------------------


def _links(sender, field, instance, action, reverse, pk_set) -> list:
    """The links (rows of the m2m table) this change makes or breaks: after an add, the new ones; before a remove
    or a clear, those that are there (removing what is not there breaks nothing)."""
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    mine, theirs = (target, source) if reverse else (source, target)
    links = sender.objects.filter(**{mine: instance})
    if pk_set is not None:
        links = links.filter(**{f"{theirs}__in": pk_set})
    return list(links.select_related(source, target).order_by(f"{source}_id", f"{target}_id"))


def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "pre_remove", "pre_clear"} or audit.is_recorded_by_caller():
        return
    added = action == "post_add"
    for link in _links(sender, get_user_model().groups.field, instance, action, reverse, pk_set):
        detail = f"{'Added to' if added else 'Removed from'} the group “{link.group.name}”"
        _record(Action.GROUP_ADDED if added else Action.GROUP_REMOVED, target=link.user, detail=detail)


def group_deleting(sender, instance, **kwargs):
    """Deleting a group takes its members out of it, with no signal of the m2m table's own."""
    detail = f"Removed from the group “{instance.name}”, which was deleted"
    for member in instance.user_set.order_by("pk"):
        _record(Action.GROUP_REMOVED, target=member, detail=detail)


def permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """One event a user or group, naming each permission given or taken away."""
    if action not in {"post_add", "pre_remove", "pre_clear"} or audit.is_recorded_by_caller():
        return
    field = Group.permissions.field if sender is Group.permissions.through else get_user_model().user_permissions.field
    owner = field.m2m_field_name()
    changed: dict = {}
    for link in _links(sender, field, instance, action, reverse, pk_set):
        permission = link.permission
        changed.setdefault(getattr(link, owner), []).append(
            f"{permission.content_type.app_label}.{permission.codename}"
        )
    how = "Given" if action == "post_add" else "Taken away"
    for holder, labels in changed.items():
        _record(Action.PERMISSIONS_CHANGED, target=holder, detail=f"{how}: {', '.join(labels)}")


# Second factors -----------------------------------------------------------------------------------------------------


def _device(device) -> str:
    return f"{DEVICE_KINDS[type(device)]} “{device.name}”"


def _deleted_with_its_account(origin) -> bool:
    User = get_user_model()
    return isinstance(origin, User) or (isinstance(origin, QuerySet) and origin.model is User)


def device_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        fields = ["confirmed", "key"] if sender is TOTPDevice else ["confirmed"]
        instance._audit_before = _before(instance, fields, update_fields)


def device_saved(sender, instance, created, raw=False, **kwargs):
    """A second factor that starts or stops counting, or an authenticator given a new key, other than through the
    two-factor page (which records its own steps)."""
    before = instance.__dict__.pop("_audit_before", None)
    if raw or (before is None and not created):
        return
    was_on = bool(before and before["confirmed"])
    if instance.confirmed and not was_on:
        _record(Action.TWO_FACTOR_ENROLLED, target=instance.user, detail=f"{_device(instance)} turned on")
    elif was_on and not instance.confirmed:
        _record(Action.TWO_FACTOR_REMOVED, target=instance.user, detail=f"{_device(instance)} turned off")
    elif was_on and "key" in before and before["key"] != instance.key:
        _record(Action.TWO_FACTOR_ENROLLED, target=instance.user, detail=f"{_device(instance)} given a new key")


def device_deleted(sender, instance, origin=None, **kwargs):
    """A second factor that counted, deleted; not one set aside unconfirmed, nor those of an account deleted (its
    deletion is the event)."""
    if instance.confirmed and not _deleted_with_its_account(origin):
        _record(Action.TWO_FACTOR_REMOVED, target=instance.user, detail=f"{_device(instance)} deleted")


def backup_code_added(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        _record(Action.BACKUP_CODES_ISSUED, target=instance.device.user, detail="A backup code was added by hand")


def connect() -> None:
    User = get_user_model()
    uid = "audit.receivers"
    pre_save.connect(user_before, sender=User, dispatch_uid=f"{uid}.user_before")
    post_save.connect(user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(user_deleted, sender=User, dispatch_uid=f"{uid}.user_deleted")
    m2m_changed.connect(groups_changed, sender=User.groups.through, dispatch_uid=f"{uid}.groups")
    pre_delete.connect(group_deleting, sender=Group, dispatch_uid=f"{uid}.group_deleting")
    m2m_changed.connect(permissions_changed, sender=User.user_permissions.through, dispatch_uid=f"{uid}.user_perms")
    m2m_changed.connect(permissions_changed, sender=Group.permissions.through, dispatch_uid=f"{uid}.group_perms")
    for model in DEVICE_KINDS:
        name = model._meta.model_name
        pre_save.connect(device_before, sender=model, dispatch_uid=f"{uid}.{name}_before")
        post_save.connect(device_saved, sender=model, dispatch_uid=f"{uid}.{name}_saved")
        post_delete.connect(device_deleted, sender=model, dispatch_uid=f"{uid}.{name}_deleted")
    post_save.connect(backup_code_added, sender=StaticToken, dispatch_uid=f"{uid}.backup_code_added")
