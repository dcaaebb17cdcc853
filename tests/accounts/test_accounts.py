"""Accounts through allauth's real views: sign up with a display name, verify the
email, sign in (limited, and saying so), the profile."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from tests.factories import make_user

PASSWORD = "pw-confnotes-1"


def sign_up(client: Client, *, email: str = "ada@example.org", name: str = "Ada L.") -> None:
    response = client.post(
        reverse("account_signup"),
        {"display_name": name, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("account_email_verification_sent"),
    )


def confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)


@pytest.mark.django_db
def test_sign_up_keeps_the_display_name_and_mails_a_verification_link(client):
    sign_up(client, name="  Ada   Lovelace ")

    profile = Profile.objects.select_related("user").get()
    assert (profile.display_name, profile.user.first_name, profile.user.email) == (
        "Ada Lovelace",
        "Ada Lovelace",
        "ada@example.org",
    )
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_verifying_the_email_signs_the_new_account_in(client):
    sign_up(client)
    link = confirmation_link(mail.outbox[0])

    page = client.get(link)
    response = client.post(link)

    assert page.status_code == 200
    assert (response.status_code, response["Location"]) == (302, reverse("sessions:home"))
    assert EmailAddress.objects.get().verified is True
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.django_db
def test_an_unverified_account_cannot_sign_in(client):
    sign_up(client)
    other = Client()

    response = other.post(
        reverse("account_login"), {"login": "ada@example.org", "password": PASSWORD}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("account_email_verification_sent"),
    )
    assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_sign_in_form_states_its_limit(client):
    html = client.get(reverse("account_login")).content.decode()

    note = re.search(r'<p class="meta" id="login-limit">(.*?)</p>', html).group(1)
    assert note == (
        "For your safety, after 5 wrong passwords for one account, "
        "its sign-in pauses for 5 minutes."
    )


@pytest.mark.django_db
def test_twenty_wrong_passwords_are_throttled_after_five(client):
    make_user(username="ada", email="ada@example.org", password=PASSWORD)
    statuses = []
    for _ in range(20):
        response = client.post(reverse("account_login"), {"login": "ada", "password": "wrong"})
        statuses.append(response.status_code)

    right = client.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})

    assert statuses == [200] * 5 + [429] * 15
    assert "Too many wrong passwords: after 5 wrong passwords for one account" in (
        response.content.decode()
    )
    # The right password does not open the paused account either.
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_profile_changes_the_display_name_everywhere(client):
    user = make_user(username="ada")
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"display_name": "Countess Ada"})
    empty = client.post(reverse("accounts:profile"), {"display_name": "   "})

    user.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:profile"))
    assert (user.profile.display_name, user.get_full_name()) == ("Countess Ada", "Countess Ada")
    assert empty.status_code == 422
    assert "This field is required." in empty.content.decode()


@pytest.mark.django_db
def test_profile_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:profile"))

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={reverse('accounts:profile')}",
    )


@pytest.mark.django_db
def test_password_reset_mails_a_link(client):
    make_user(username="ada", email="ada@example.org", password=PASSWORD)

    response = client.post(reverse("account_reset_password"), {"email": "ada@example.org"})

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("account_reset_password_done"),
    )
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
