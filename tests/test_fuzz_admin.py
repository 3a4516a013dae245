"""Property-based fuzzing of the back office, as each role (Journalist, Editor, Audience, a superuser): every
registered model admin's pages — add and change forms, its own views, the change list — and its actions, and the
admin site's own pages, with random values in random fields. Whatever is sent, the answer is a designed page, never
a 500; a role without permission on a model is refused on every page of it.

Each example's writes are rolled back, so every example starts from the fixture's objects and a failure replays.
`FUZZ_EXAMPLES` sets how many (`make bench` runs thousands).
"""

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import reversion
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, reverse
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given, settings
from hypothesis import strategies as st
from reversion.models import Version

from articles.models import Article
from newsletter.models import ConsentEvent, Delivery, DeliveryEvent, Edition, SubscriberExport
from newsletter.suppression import suppress
from pages.models import Page
from tests.admin_forms import form_values
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    BylineFactory,
    CorrectionFactory,
    EditionFactory,
    FigureFactory,
    ImageFactory,
    QuoteFactory,
    RelatedArticleFactory,
    SubscriptionFactory,
    image_bytes,
)
from tests.test_fuzz import EXAMPLES, FUZZ, assert_designed, text

pytestmark = [
    pytest.mark.django_db,
    # A date typed into a change list's date filter (?published_at__gte=2024-01-01) is taken in the site's time
    # zone; Django warns that it came without one, which the suite's settings make an error.
    pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning"),
]

ROLES = ("Journalist", "Editor", "Audience", "superuser")
ADMINS = {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}
LABELS = sorted(ADMINS)

# Every example is a request or two, and each test samples (page, role) from all of them: one test, one fixture.
MANY = settings(FUZZ, max_examples=EXAMPLES * 2)

DESIGNED = {200, 204, 302, 400, 403, 404, 405, 413, 429}
# What a 200 is: an admin page, a chooser's or a progress poll's JSON, a CSV export, the admin's own script.
ANSWERS = {"text/html", "application/json", "text/csv", "text/javascript"}
ADMIN_PAGE = (b"data-admin-utc-offset", b'id="django-admin-popup-response-constants"')


# --- What is sent -----------------------------------------------------------------------------------------------

# What a browser never sends but a probe does, in the shapes the back office parses: dates, times, numbers, ids.
ODD = st.sampled_from(
    [
        "99999-99-99",
        "2024-02-30",
        "0000-00-00",
        "0001-01-01",
        "9999-12-31",
        "25:61:61",
        "23:59:60",
        "-1",
        "0",
        "1",
        "1.5",
        "1e309",
        "nan",
        "-inf",
        "32768",
        "2147483648",
        "9223372036854775808",
        "99999999999999999999999",
        "-99999999999999999999999",
        "١٢",  # digits Python's int() reads and a database does not
        "abc",
        " ",
        "on",
        "None",
        "[]",
        "1,2,3",
        "a@b",
        "x" * 300,
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "a\x00b",
        "\r\n",
    ]
)
# What is typed into an address: any character but NUL, which the site refuses before any view sees it
# (newsroom/badinput.py, tests/test_bad_input.py); ODD sends one now and then. A form's fields take NULs to their
# own errors, so what is posted has them as often as anything else.
_typing = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
typed = st.one_of(st.text(_typing, max_size=40), st.text(_typing, min_size=1000, max_size=5000))
numbers = st.integers(-(2**70), 2**70).map(str)
in_address = st.one_of(typed, ODD, st.dates().map(str), numbers)
in_form = st.one_of(text, ODD, st.dates().map(str), numbers)
# A formset's management form: negative, huge, not a number.
COUNTS = st.sampled_from(["-1", "0", "1", "2", "3", "1001", "99999999", "abc", "", "1e3", "٣"]) | in_form
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
NO_ROW = ["0", "-1", "999999999", "99999999999999999999999", "abc", "1.0", " 1", "1e3", "١"]
NO_NUMBER = ["0", "999999999", "99999999999999999999999"]
MADE_UP_NUMBER = st.sampled_from(NO_NUMBER) | st.integers(min_value=0).map(str)
# Anything a path segment holds (the patterns' '.+' takes no newline).
MADE_UP_OBJECT = st.sampled_from(NO_ROW) | st.text(min_size=1, max_size=20).filter(lambda t: not {"/", "\n"} & set(t))
BUTTONS = [
    "_save",
    "_continue",
    "_addanother",
    "_saveasnew",
    "_popup",
    "_to_field",
    "_changelist_filters",
    "_submit_for_review",
    "_publish_now",
    "_lift_embargo",
]
PARAMETERS = ["o", "p", "q", "all", "e", "_facets", "_to_field", "_popup", "_changelist_filters", "action"]
PARAMETERS += ["term", "next", "page", "app_label", "model_name", "field_name", "token"]

# Every action some admin has: most of them are not allowed on another model, or to another role.
ALL_ACTIONS = sorted(
    {getattr(action, "__name__", action) for model_admin in ADMINS.values() for action in model_admin.actions or []}
    | {"delete_selected"}
)
# The autocomplete endpoint's (app, model, field) as the forms ask for them.
AUTOCOMPLETE = sorted(
    (owner.model._meta.app_label, owner.model._meta.model_name, name)
    for model_admin in ADMINS.values()
    for owner in [model_admin, *model_admin.inlines]
    for name in owner.autocomplete_fields
)


# --- The back office's pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A page of the back office: a model admin's (label) or the site's own (label None), and what its address
    takes ('object': an id of the model; 'number'; 'version'/'deleted': of an article; 'app'; 'type')."""

    label: str | None
    name: str
    takes: tuple[str, ...] = ()


def _takes(url: URLPattern) -> tuple[str, ...]:
    if url.name.endswith("_recover"):
        return ("deleted",)
    if url.name.endswith("_revision"):
        return ("object", "version")
    if isinstance(url.pattern, RegexPattern):
        return tuple("number" if g == r"\d+" else "object" for g in re.findall(r"\(([^)]*)\)", str(url.pattern)))
    return tuple(
        "number" if isinstance(converter, IntConverter) else "object" for converter in url.pattern.converters.values()
    )


ROUTES = [
    Route(label, url.name, _takes(url))
    for label in LABELS
    for url in ADMINS[label].get_urls()
    if url.name and not url.name.endswith("_changelist")
]
SITE_ROUTES = [
    Route(None, name, takes)
    for name, takes in [
        ("index", ()),
        ("app_list", ("app",)),
        ("password_change", ()),
        ("password_change_done", ()),
        ("autocomplete", ()),
        ("jsi18n", ()),
        ("view_on_site", ("type", "object")),
        ("two_factor", ()),
        ("two_factor_verify", ()),
        ("keep_alive", ()),
    ]
    if name in {url.name for url in admin.site.get_urls() if isinstance(url, URLPattern)}
]
APPS = sorted({label.split(".")[0] for label in LABELS})
CHANGELISTS = [Route(label, f"{label.replace('.', '_')}_changelist") for label in LABELS]
LIST_EDITABLE = [route for route in CHANGELISTS if ADMINS[route.label].list_editable]


class _Fields(HTMLParser):
    """Every field a page's forms name (ticked or not), the options of its selects, its file inputs."""

    def __init__(self):
        super().__init__()
        self.names: list[str] = []
        self.options: dict[str, list[str]] = {}
        self.files: list[str] = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in {"input", "select", "textarea"} and name and name not in self.names:
            self.names.append(name)
        if tag == "input" and name and attrs.get("type") == "file":
            self.files.append(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


_QUERY_LINK = re.compile(r'href="(\?[^"]*)"')


@dataclass
class Form:
    """What a page offers: the values a browser would post, every field's name, the selects' options, the file
    inputs, and the parameters of its links (a change list's filters, sorting and pages)."""

    values: dict[str, list[str]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


def read_form(response) -> Form:
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return Form()
    html = response.content.decode()
    fields = _Fields()
    fields.feed(html)
    links = [
        pair
        for href in set(_QUERY_LINK.findall(html))
        for pair in parse_qsl(urlsplit(href.replace("&amp;", "&")).query, keep_blank_values=True)
    ]
    return Form(form_values(html), fields.names, fields.options, fields.files, links)


# --- The back office, as each role ------------------------------------------------------------------------------


class Backoffice:
    """The roles' signed-in clients and the objects to open, change and act on (by model label)."""

    def __init__(self, clients: dict[str, Client], users: dict[str, User], objects: dict[str, list], version, deleted):
        self.clients, self.users, self.objects = clients, users, objects
        self.version: Version = version  # of an article
        self.deleted: Version = deleted  # of an article since deleted
        self.forms: dict[tuple[str, str], Form] = {}

    def __repr__(self):  # what a failing example prints
        return "backoffice"

    def form(self, role: str, url: str) -> Form:
        """The page's fields as the role sees them, read once a test (every example starts from the same data)."""
        if (role, url) not in self.forms:
            self.forms[role, url] = read_form(self.clients[role].get(url))
        return self.forms[role, url]

    def may(self, role: str, label: str | None) -> bool:
        """Whether the role has any permission on the model; without one, every page of it is refused."""
        if label is None:
            return True
        app_label, model_name = label.split(".")
        user = self.users[role]
        return any(
            user.has_perm(f"{app_label}.{action}_{model_name}") for action in ("view", "add", "change", "delete")
        )

    def actions(self, role: str, label: str) -> list[str]:
        request = RequestFactory().get("/admin/")
        request.user = self.users[role]
        return sorted(ADMINS[label].get_actions(request))

    def ids(self, label: str) -> list[str]:
        return [str(obj.pk) for obj in self.objects.get(label, [])] or ["999999999"]

    def arguments(self, route: Route) -> list[list[str]]:
        """What exists to name in the route's address, for each of its parameters."""
        real = {
            "object": self.ids(route.label or "articles.article"),
            "number": self.ids(route.label),
            "version": [str(self.version.pk)],
            "deleted": [str(self.deleted.pk)],
            "app": APPS,  # the pattern lists the apps: another name is the URL resolver's 404
            "type": [str(ContentType.objects.get_for_model(Article).pk)],
        }
        return [real[kind] for kind in route.takes]

    def url(self, route: Route, draw=None) -> str:
        """The route's address: drawn, mostly naming what exists, sometimes what does not or cannot; or, without
        draw, naming the first of what exists."""
        if draw is None:
            return reverse(f"admin:{route.name}", args=[real[0] for real in self.arguments(route)])
        made_up = {"object": MADE_UP_OBJECT, "app": st.nothing()}
        args = [
            draw(st.sampled_from(real) | made_up.get(kind, MADE_UP_NUMBER))
            for kind, real in zip(route.takes, self.arguments(route), strict=True)
        ]
        return reverse(f"admin:{route.name}", args=args)


@pytest.fixture
def backoffice(db, settings):
    settings.STAFF_2FA_REQUIRED = False  # the second factor has tests of its own; here every role is let in

    users = {}
    for role in ROLES:
        user = User.objects.create_user(
            f"fuzz-{role.lower()}", f"{role.lower()}@example.com", "x", is_staff=True, is_superuser=role == "superuser"
        )
        if role != "superuser":
            user.groups.add(Group.objects.get(name=role))
        users[role] = User.objects.get(pk=user.pk)  # permissions not cached yet
    clients = {role: Client(raise_request_exception=False) for role in ROLES}
    for role, client in clients.items():
        client.force_login(users[role])

    journalist, editor = users["Journalist"], users["Editor"]
    account = User.objects.create_user("reader-account", "account@example.com", "x")  # the roles' own stay as they are
    TOTPDevice.objects.create(user=account, name="Phone", confirmed=True)
    backup = StaticDevice.objects.create(user=account, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcd1234")
    seen = {"user_agent": "Firefox", "ip_address": "203.0.113.9", "http_accept": "*/*", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(username="someone", get_data="", post_data="", failures_since_start=3, **seen)
    AccessLog.objects.create(username="someone", **seen)
    AccessFailureLog.objects.create(username="someone", locked_out=True, **seen)

    small = {"file": ContentFile(image_bytes(size=(160, 100)), name="harbour.jpg")}
    image = ImageFactory(uploaded_by=journalist, **small)  # the journalist's own, in use nowhere: theirs to edit
    in_use = ImageFactory(uploaded_by=editor, renditions=False, **small)
    story = ArticleFactory(headline="Bridge to close", slug="bridge", tags=["bridge", "café"], lead_image=in_use)
    reporter = AuthorFactory(slug="helen-marsh", user=journalist)
    BylineFactory(article=story, author=reporter)
    FigureFactory(article=story, image=in_use)
    QuoteFactory(article=story)
    CorrectionFactory(article=story)
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, created_by=journalist, tags=["river"])
    BylineFactory(article=draft, author=reporter)
    RelatedArticleFactory(from_article=draft, to_article=story)
    gone = ArticleFactory()
    for article in (story, gone):
        with reversion.create_revision():
            reversion.set_user(editor)
            article.save()
    version, deleted = (Version.objects.get_for_object(article).get() for article in (story, gone))
    gone.delete()

    subscription = SubscriptionFactory()
    ConsentEvent.objects.create(subscription=subscription, kind="confirmed", at=timezone.now(), source="/")
    SubscriberExport.objects.create(user=users["Audience"], via="admin", filters="everything", row_count=1)
    edition = EditionFactory(articles=[story])
    sent = EditionFactory(issue_date=timezone.localdate() - timedelta(days=1), articles=[story])
    Edition.objects.filter(pk=sent.pk).update(
        status=Edition.Status.SENT, started_at=timezone.now(), finished_at=timezone.now(), recipient_count=1
    )
    Delivery.objects.create(edition=sent, subscription=subscription, status="failed", error="550 No such mailbox")
    DeliveryEvent.objects.create(
        provider="test", event_id="e1", type="bounced", occurred_at=timezone.now(), recipient="x@example.com"
    )
    suppress("gone@example.com", reason="complaint")
    Page.objects.create(title="About us", slug="about", body="<p>Who we are.</p>", in_footer=True)

    objects = {label: list(ADMINS[label].model.objects.order_by("pk")[:3]) for label in LABELS}
    objects |= {
        "articles.article": [story, draft],
        "articles.image": [image, in_use],
        "auth.user": [account, journalist],
        "auth.group": [Group.objects.create(name="Night desk")],
        "newsletter.edition": [edition, sent],
    }
    return Backoffice(clients, users, objects, version, deleted)


@contextmanager
def undone():
    """What an example saved is rolled back: the next one starts from the fixture's objects."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_designed_page(response, *, allowed: bool = True):
    """No 500, a page the back office means to give, and a refusal for a role without permission on the model."""
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # a download that breaks half-way is a 500 too
    assert_designed(response)
    assert response.status_code in DESIGNED, (response.status_code, response.content[:300])
    if response.status_code == 200:
        kind = response.get("Content-Type", "").split(";")[0]
        assert kind in ANSWERS, kind
        if kind == "text/html":  # the admin's own page, or what closes its popup after a save or a delete
            assert any(mark in response.content for mark in ADMIN_PAGE), response.content[:300]
    if not allowed:
        refused = response.status_code in {400, 403}
        # Django's admin says an object does not exist before it asks who is looking; it shows nothing of it.
        not_there = response.status_code == 302 and response["Location"] == reverse("admin:index")
        assert refused or not_there, (response.status_code, response.get("Location"))


def values_for(name: str, form: Form):
    if name.endswith(MANAGEMENT):
        one = COUNTS
    elif form.options.get(name):
        one = st.sampled_from(form.options[name]) | in_form
    else:
        one = in_form
    return one.map(lambda v: [v]) | st.lists(one, min_size=2, max_size=3)  # a name may repeat


def ids_of(backoffice: Backoffice, label: str):
    return st.sampled_from(backoffice.ids(label)) | st.sampled_from(NO_ROW) | typed


def role_for(data, backoffice: Backoffice, label: str | None) -> str:
    """Mostly a role with some permission on the model, to reach what is behind the check; sometimes any role."""
    return data.draw(st.sampled_from([r for r in ROLES if backoffice.may(r, label)]) | st.sampled_from(ROLES), "role")


def uploads(draw, form: Form) -> dict:
    files = {}
    for name in form.files:
        kind = draw(st.sampled_from(["image", "csv", "bytes", "none"]), name)
        if kind == "image":
            files[name] = SimpleUploadedFile("picture.jpg", image_bytes(size=(40, 30)), "image/jpeg")
        elif kind == "csv":
            rows = draw(st.lists(st.lists(in_form, max_size=4), max_size=5))
            content = "\n".join(",".join(row) for row in [["email", "name"], *rows])
            files[name] = SimpleUploadedFile("list.csv", content.encode(), "text/csv")
        elif kind == "bytes":
            # Any file name but one that names no file ("/", ".."): the test client cannot send those, and
            # Django's parser drops such a part before a view sees it.
            file_name = draw(typed)
            if os.path.basename(file_name) in {"", ".", ".."}:
                file_name = "x"
            files[name] = SimpleUploadedFile(file_name, draw(st.binary(max_size=2000)))
    return files


def post(client: Client, url: str, data: dict[str, list], files: dict | None = None, multipart: bool = False):
    if multipart or files:
        return client.post(url, {**data, **(files or {})})
    body = urlencode([(name, v) for name, values in data.items() for v in values])
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


# --- The properties -----------------------------------------------------------------------------------------------


@MANY
@given(data=st.data())
def test_every_admin_form_answers_random_values_in_its_fields_with_a_designed_page(backoffice, data):
    """Every page of every model admin and of the site (add, change, delete, restore, import, an edition's steps,
    two-factor…), posted what a browser would post with random values in some fields, some fields left out, some
    repeated and some added, as form data or multipart with random files."""
    route = data.draw(st.sampled_from(ROUTES + SITE_ROUTES + LIST_EDITABLE), "route")
    role = role_for(data, backoffice, route.label)
    url = backoffice.url(route, data.draw)
    with undone():
        form = backoffice.form(role, url)
    names = form.names or PARAMETERS
    values = {name: list(found) for name, found in form.values.items()}
    counts = [name for name in names if name.endswith(MANAGEMENT)]  # the inlines' management forms
    fuzzed = data.draw(st.lists(st.sampled_from(names), max_size=6, unique=True), "fuzzed")
    fuzzed += data.draw(st.lists(st.sampled_from(counts), max_size=3) if counts else st.just([]), "counts")
    for name in fuzzed:
        values[name] = data.draw(values_for(name, form), name)
    for name in data.draw(st.lists(st.sampled_from(names), max_size=2), "left out"):
        values.pop(name, None)
    for name, extra in data.draw(st.lists(st.tuples(st.sampled_from(BUTTONS) | text, in_form), max_size=3), "added"):
        values.setdefault(name, []).append(extra)
    files = uploads(data.draw, form)
    multipart = data.draw(st.booleans(), "multipart")

    with undone():
        response = post(backoffice.clients[role], url, values, files, multipart)

    assert_designed_page(response, allowed=backoffice.may(role, route.label))


@MANY
@given(data=st.data())
def test_every_admin_page_answers_random_parameters_with_a_designed_page(backoffice, data):
    """Every page but the change list, opened with random parameters: an add form's initial values (named after
    its fields), a custom view's (tag suggestions, exports, previews, history, restore), the site's (autocomplete,
    two-factor)."""
    route = data.draw(st.sampled_from(ROUTES + SITE_ROUTES), "route")
    role = role_for(data, backoffice, route.label)
    url = backoffice.url(route, data.draw)
    with undone():
        names = backoffice.form("superuser", url).names
    params = data.draw(st.lists(st.tuples(st.sampled_from(names + PARAMETERS) | typed, in_address), max_size=5))
    if route.name == "autocomplete" and data.draw(st.booleans(), "as a form asks"):
        app_label, model_name, field_name = data.draw(st.sampled_from(AUTOCOMPLETE), "field")
        params += [("app_label", app_label), ("model_name", model_name), ("field_name", field_name)]

    with undone():
        response = backoffice.clients[role].get(url, QUERY_STRING=urlencode(params))

    assert_designed_page(response, allowed=backoffice.may(role, route.label))


@MANY
@given(data=st.data())
def test_every_change_list_answers_random_filters_sorting_search_and_pages_with_a_designed_page(backoffice, data):
    """The change list's own parameters (its filters', sorting's and pages', from its links, and the date
    hierarchy's) and others, with the values its links carry, ids, and anything."""
    route = data.draw(st.sampled_from(CHANGELISTS), "route")
    role = role_for(data, backoffice, route.label)
    changelist = backoffice.url(route)
    with undone():
        links = backoffice.form("superuser", changelist).links
    hierarchy = ADMINS[route.label].date_hierarchy
    dates = [f"{hierarchy}__{part}" for part in ("year", "month", "day")] if hierarchy else []
    own = st.sampled_from(sorted({name for name, _ in links} | {*PARAMETERS, *dates}))
    values = st.sampled_from([v for _, v in links] or [""]) | in_address | ids_of(backoffice, route.label)
    params = data.draw(st.lists(st.tuples(own, values), max_size=5), "params")
    params += data.draw(st.lists(st.tuples(typed, values), max_size=1), "made-up parameter")

    with undone():
        response = backoffice.clients[role].get(changelist, QUERY_STRING=urlencode(params))

    assert_designed_page(response, allowed=backoffice.may(role, route.label))


@MANY
@given(data=st.data())
def test_every_admin_action_answers_random_selections_with_a_designed_page(backoffice, data):
    """The role's actions (and others it may not take) on real rows, rows that do not exist and no rows, with and
    without select-across, and the confirmation step."""
    route = data.draw(st.sampled_from(CHANGELISTS), "route")
    role = role_for(data, backoffice, route.label)
    allowed = backoffice.actions(role, route.label)
    action = data.draw(st.sampled_from(allowed or ALL_ACTIONS) | st.sampled_from(ALL_ACTIONS) | typed, "action")
    values = {"action": [action], "_selected_action": data.draw(st.lists(ids_of(backoffice, route.label), max_size=4))}
    optional = {
        "index": st.sampled_from(["0", "1", "-1", "abc"]) | text,
        "select_across": st.sampled_from(["0", "1"]) | text,
        "post": st.just("yes") | text,
        "reason": in_form,  # taking addresses off the suppression list asks why
        "_save": st.just("Save"),
    }
    for name in data.draw(st.lists(st.sampled_from(sorted(optional)), unique=True), "with"):
        values[name] = [data.draw(optional[name], name)]
    query = data.draw(st.lists(st.tuples(st.sampled_from(PARAMETERS) | typed, in_address), max_size=2), "query")

    with undone():
        response = post(backoffice.clients[role], f"{backoffice.url(route)}?{urlencode(query)}", values)

    assert_designed_page(response, allowed=backoffice.may(role, route.label))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_every_back_office_page_and_action_or_a_refusal(backoffice, role):
    """Not random: every page of every model admin and of the site, naming what exists, and each action the role
    has on every object (deleting with its confirmation), so every run covers every pair whatever the fuzzing drew."""
    client = backoffice.clients[role]
    for route in CHANGELISTS + ROUTES + SITE_ROUTES:
        with undone():
            assert_designed_page(client.get(backoffice.url(route)), allowed=backoffice.may(role, route.label))
    for route in CHANGELISTS:
        selected = {"_selected_action": backoffice.ids(route.label)}
        for action in backoffice.actions(role, route.label):
            with undone():
                response = post(client, backoffice.url(route), {**selected, "action": [action], "index": ["0"]})
                assert_designed_page(response, allowed=backoffice.may(role, route.label))
                confirmed = post(client, backoffice.url(route), {**selected, "action": [action], "post": ["yes"]})
                assert_designed_page(confirmed, allowed=backoffice.may(role, route.label))
