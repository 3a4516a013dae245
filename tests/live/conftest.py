"""The story, its journalists, an editor and its live blog, as the live coverage tests share them."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from live.models import LiveBlog
from tests.factories import ArticleFactory, AuthorFactory, BylineFactory

BLOGS = "/admin/live/liveblog/"


def staff(role: str, name: str) -> tuple[Client, User]:
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def story():
    return ArticleFactory(headline="Floodwater reaches Kingsmere high street", slug="flood-live")


@pytest.fixture
def reporters(story):
    """Two journalists with bylines on the story."""
    people = []
    for name in ["ana", "ben"]:
        client, user = staff("Journalist", name)
        author = AuthorFactory(name=name.title() + " Reporter", user=user)
        BylineFactory(article=story, author=author)
        people.append((client, author))
    return people


@pytest.fixture
def editor():
    return staff("Editor", "ed")[0]


@pytest.fixture
def live(editor, story):
    response = editor.post(f"{BLOGS}add/", {"article": story.pk})
    assert response.status_code == 302, response.content
    return LiveBlog.objects.get(article=story)
