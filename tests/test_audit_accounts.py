"""The audit record of what is done to staff accounts, through the admin or anywhere else: second factors removed,
staff and superuser status, groups, permissions, accounts made and deleted, passwords changed and reset. Each
step is recorded once, with who took it, and never with a secret."""

import io
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from newsletter.management import operator
from tests.admin_forms import form_values
from tests.test_audit import assert_append_only, recorded

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"
GROUPS = "/admin/auth/group/"
TOTP = "/admin/otp_totp/totpdevice/"
STATIC = "/admin/otp_static/staticdevice/"
PASSWORD = "a long and unguessable passphrase"  # noqa: S105 (a test account's)


def user_form(client, user, **changes) -> dict:
    """The admin's change form of a user as a browser posts it, with some fields changed."""
    values = form_values(client.get(f"{USERS}{user.pk}/change/").content.decode())
    data = {name: found if name in {"groups", "user_permissions"} else found[0] for name, found in values.items()}
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def ann():
    return User.objects.create_user("ann", email="ann@newsroom.example", password=PASSWORD)


@pytest.fixture
def editor_with_two_factor(db):
    user = User.objects.create_user("eddie", is_staff=True, password=PASSWORD)
    totp = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    return user, totp, backup


def events_since(count: int) -> list[tuple]:
    return recorded()[count:]


# Second factors --------------------------------------------------------------------------------------------------


def test_an_authenticator_deleted_in_the_admin_is_recorded_as_its_owners_second_factor_removed(
    admin_client, editor_with_two_factor
):
    user, totp, _ = editor_with_two_factor
    before = AuditEvent.objects.count()

    response = admin_client.post(f"{TOTP}{totp.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not TOTPDevice.objects.exists()
    assert events_since(before) == [
        ("2fa_removed", "admin", "auth.user", str(user.pk), "eddie", "Authenticator app “Authenticator app” deleted")
    ]


def test_backup_codes_deleted_from_the_admins_list_are_recorded_once_each(admin_client, editor_with_two_factor):
    user, _, backup = editor_with_two_factor
    other = User.objects.create_user("otto", is_staff=True)
    other_backup = StaticDevice.objects.create(user=other, name="Backup codes", confirmed=True)
    before = AuditEvent.objects.count()

    admin_client.post(
        STATIC, {"action": "delete_selected", "_selected_action": [backup.pk, other_backup.pk], "post": "yes"}
    )

    assert not StaticDevice.objects.exists()
    assert sorted(event[:5] for event in events_since(before)) == [
        ("2fa_removed", "admin", "auth.user", str(user.pk), "eddie"),
        ("2fa_removed", "admin", "auth.user", str(other.pk), "otto"),
    ]


def test_a_second_factor_deleted_in_code_names_who_ran_it(editor_with_two_factor):
    user, _, _ = editor_with_two_factor
    before = AuditEvent.objects.count()

    TOTPDevice.objects.filter(user=user).delete()

    [(action, who, _, object_id, _, _)] = events_since(before)
    assert (action, who, object_id) == ("2fa_removed", operator(), str(user.pk))


def test_an_unconfirmed_authenticator_set_aside_is_not_a_second_factor_removed(ann):
    device = TOTPDevice.objects.create(user=ann, name="Authenticator app", confirmed=False)
    before = AuditEvent.objects.count()

    device.delete()

    assert events_since(before) == []


def test_a_second_factor_switched_off_or_a_backup_code_added_in_the_admin_is_recorded(
    admin_client, editor_with_two_factor
):
    user, totp, backup = editor_with_two_factor
    before = AuditEvent.objects.count()

    totp.confirmed = False
    totp.save()
    StaticToken.objects.create(device=backup, token="known2intruder")  # noqa: S106 (a test's)

    events = events_since(before)
    assert [event[:4] for event in events] == [
        ("2fa_removed", operator(), "auth.user", str(user.pk)),
        ("backup_codes_issued", operator(), "auth.user", str(user.pk)),
    ]
    assert "known2intruder" not in str(events)


def test_turning_two_factor_off_on_ones_own_page_is_recorded_once(client, settings):
    settings.STAFF_2FA_REQUIRED = False
    user = User.objects.create_user("jo", is_staff=True, password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get().persistent_id
    session.save()
    before = AuditEvent.objects.count()

    client.post("/admin/two-factor/", {"action": "remove"})

    assert not TOTPDevice.objects.exists()
    assert [event[:4] for event in events_since(before)] == [("2fa_removed", "jo", "auth.user", str(user.pk))]


# Staff, superusers, groups and permissions ----------------------------------------------------------------------


def test_making_someone_a_superuser_in_the_admin_is_recorded_by_who_did_it(admin_client, ann):
    before = AuditEvent.objects.count()

    response = admin_client.post(
        f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, is_staff="on", is_superuser="on")
    )

    assert response.status_code == 302
    assert User.objects.get(pk=ann.pk).is_superuser
    assert events_since(before) == [
        ("staff_granted", "admin", "auth.user", str(ann.pk), "ann", ""),
        ("superuser_granted", "admin", "auth.user", str(ann.pk), "ann", ""),
    ]


def test_taking_staff_and_superuser_status_away_is_recorded(admin_client, ann):
    User.objects.filter(pk=ann.pk).update(is_staff=True, is_superuser=True)
    before = AuditEvent.objects.count()

    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, is_staff=False, is_superuser=False))

    assert [event[:2] for event in events_since(before)] == [("staff_removed", "admin"), ("superuser_removed", "admin")]


def test_saving_a_user_unchanged_and_signing_in_record_nothing(admin_client, client, ann):
    before = AuditEvent.objects.count()

    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann))
    User.objects.filter(pk=ann.pk).update(is_staff=True)
    client.post("/admin/login/", {"username": "ann", "password": PASSWORD})

    assert User.objects.get(pk=ann.pk).last_login is not None
    assert events_since(before) == []


def test_groups_given_and_taken_in_the_admin_are_recorded_one_event_each(admin_client, ann):
    editor, audience = Group.objects.get(name="Editor"), Group.objects.get(name="Audience")
    ann.groups.add(audience)
    before = AuditEvent.objects.count()

    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, groups=[str(editor.pk)]))

    assert sorted(events_since(before)) == [
        ("group_added", "admin", "auth.user", str(ann.pk), "ann", "Added to the group “Editor”"),
        ("group_removed", "admin", "auth.user", str(ann.pk), "ann", "Removed from the group “Audience”"),
    ]


def test_group_changes_made_in_code_from_either_side_are_recorded(ann):
    editor = Group.objects.get(name="Editor")
    otto = User.objects.create_user("otto")
    before = AuditEvent.objects.count()

    editor.user_set.add(ann, otto)
    ann.groups.remove(editor)
    ann.groups.remove(editor)  # not a member any more: nothing to record
    otto.groups.clear()

    assert [(e[0], e[4], e[5]) for e in events_since(before)] == sorted(
        [
            ("group_added", "ann", "Added to the group “Editor”"),
            ("group_added", "otto", "Added to the group “Editor”"),
        ],
        key=lambda e: e[1],
    ) + [
        ("group_removed", "ann", "Removed from the group “Editor”"),
        ("group_removed", "otto", "Removed from the group “Editor”"),
    ]


def test_deleting_a_group_in_the_admin_records_each_member_taken_out_of_it(admin_client, ann):
    group = Group.objects.create(name="Night desk")
    group.user_set.add(ann)
    before = AuditEvent.objects.count()

    admin_client.post(f"{GROUPS}{group.pk}/delete/", {"post": "yes"})

    assert not Group.objects.filter(pk=group.pk).exists()
    assert events_since(before) == [
        (
            "group_removed",
            "admin",
            "auth.user",
            str(ann.pk),
            "ann",
            "Removed from the group “Night desk”, which was deleted",
        )
    ]


def test_a_users_own_permissions_changed_in_the_admin_are_recorded_with_what_changed(admin_client, ann):
    publish = permission("articles.publish_article")
    before = AuditEvent.objects.count()

    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, user_permissions=[str(publish.pk)]))

    assert events_since(before) == [
        ("permissions_changed", "admin", "auth.user", str(ann.pk), "ann", "Given: articles.publish_article")
    ]


def test_a_groups_permissions_changed_in_the_admin_are_recorded_on_the_group(admin_client):
    journalist = Group.objects.get(name="Journalist")
    kept = [str(pk) for pk in journalist.permissions.values_list("pk", flat=True)]
    publish = permission("articles.publish_article")
    before = AuditEvent.objects.count()

    response = admin_client.post(
        f"{GROUPS}{journalist.pk}/change/", {"name": "Journalist", "permissions": [*kept, str(publish.pk)]}
    )

    assert response.status_code == 302
    assert events_since(before) == [
        (
            "permissions_changed",
            "admin",
            "auth.group",
            str(journalist.pk),
            "Journalist",
            "Given: articles.publish_article",
        )
    ]


def test_a_permission_taken_from_a_group_in_code_is_recorded(ann):
    editor = Group.objects.get(name="Editor")
    publish = permission("articles.publish_article")
    before = AuditEvent.objects.count()

    publish.group_set.remove(editor)

    assert [(e[0], e[4], e[5]) for e in events_since(before)] == [
        ("permissions_changed", "Editor", "Taken away: articles.publish_article")
    ]


def test_creating_a_staff_account_is_recorded_and_creating_a_reader_account_is_not():
    before = AuditEvent.objects.count()

    User.objects.create_user("reader")
    call_command(
        "createsuperuser", username="root", email="root@newsroom.example", interactive=False, stdout=io.StringIO()
    )
    User.objects.create_user("staffer", is_staff=True)

    assert [(e[0], e[1], e[4], e[5]) for e in events_since(before)] == [
        ("staff_created", operator(), "root", "A superuser"),
        ("staff_created", operator(), "staffer", "Staff"),
    ]


def test_deleting_a_staff_account_in_the_admin_is_recorded_once_and_outlives_it(admin_client, editor_with_two_factor):
    user, _, _ = editor_with_two_factor
    user.groups.add(Group.objects.get(name="Editor"))
    before = AuditEvent.objects.count()

    response = admin_client.post(f"{USERS}{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not User.objects.filter(pk=user.pk).exists()
    assert events_since(before) == [("staff_deleted", "admin", "auth.user", str(user.pk), "eddie", "")]


# Passwords -------------------------------------------------------------------------------------------------------


def no_secret_in(events, *secrets) -> bool:
    text = str(events)
    return not any(secret in text for secret in secrets) and "pbkdf2" not in text and "argon2" not in text


def test_changing_ones_own_password_is_recorded_without_it(client, ann):
    User.objects.filter(pk=ann.pk).update(is_staff=True)
    client.force_login(ann)
    before = AuditEvent.objects.count()
    new = "another long unguessable passphrase"

    response = client.post(
        "/admin/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 302
    events = events_since(before)
    assert events == [("password_changed", "ann", "auth.user", str(ann.pk), "ann", "Changed by its owner")]
    assert no_secret_in(events, new, PASSWORD)


def test_a_password_set_by_an_admin_is_recorded_as_theirs(admin_client, ann):
    before = AuditEvent.objects.count()
    new = "set by the administrator for ann"

    response = admin_client.post(
        f"{USERS}{ann.pk}/password/", {"password1": new, "password2": new, "usable_password": "true"}
    )

    assert response.status_code == 302
    events = events_since(before)
    assert events == [("password_changed", "admin", "auth.user", str(ann.pk), "ann", "Set by someone else")]
    assert no_secret_in(events, new)


def test_a_password_reset_with_the_mailed_link_is_recorded_once(client, ann, django_capture_on_commit_callbacks):
    User.objects.filter(pk=ann.pk).update(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/password_reset/", {"email": "ann@newsroom.example"})
    link = re.search(r"https?://[^/]+(/admin/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    new = "a reset and unguessable passphrase"
    before = AuditEvent.objects.count()

    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert response.status_code == 302
    events = events_since(before)
    assert events == [("password_reset", "ann", "auth.user", str(ann.pk), "ann", "With the link mailed to the account")]
    assert no_secret_in(events, new, link.split("/")[-2])


def test_a_password_changed_from_the_command_line_names_who_ran_it(ann, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a command line passphrase for ann")
    before = AuditEvent.objects.count()

    call_command("changepassword", "ann", stdout=io.StringIO())

    assert [event[:2] for event in events_since(before)] == [("password_changed", operator())]


# The record ----------------------------------------------------------------------------------------------------------


def test_an_account_event_is_append_only_like_the_rest(admin_client, ann):
    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, is_staff="on"))
    event = AuditEvent.objects.get(action="staff_granted")

    assert_append_only(event)
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    ann.delete()

    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_the_audit_list_and_export_filter_by_the_new_actions(admin_client, ann):
    admin_client.post(f"{USERS}{ann.pk}/change/", user_form(admin_client, ann, is_staff="on", is_superuser="on"))

    page = admin_client.get("/admin/audit/auditevent/", {"action__exact": "superuser_granted"})
    export = admin_client.get("/admin/audit/auditevent/export/", {"action__exact": "superuser_granted"})

    assert page.status_code == 200 and "Superuser status given" in page.content.decode()
    assert [event.action for event in page.context["cl"].result_list] == ["superuser_granted"]
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert len(rows) == 2 and ",Superuser status given," in rows[1]
