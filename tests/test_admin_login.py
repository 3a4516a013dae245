import pytest

pytestmark = pytest.mark.django_db


def test_signing_in_with_a_next_address_on_another_site_lands_on_the_back_office(client, admin_user):
    response = client.post(
        "/admin/login/?next=https://evil.example/",
        {"username": admin_user.username, "password": "password", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_signing_in_with_a_next_address_of_ours_goes_there(client, admin_user):
    response = client.post(
        "/admin/login/?next=/admin/articles/article/",
        {"username": admin_user.username, "password": "password", "next": "/admin/articles/article/"},
    )

    assert response["Location"] == "/admin/articles/article/"
