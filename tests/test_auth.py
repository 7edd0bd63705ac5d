"""The OAuth2 password flow, JWT bearer tokens and every 401 of contract §1.2."""
from datetime import timedelta

import jwt
import pytest
from django.conf import settings

from sartiq.accounts.models import User
from sartiq.accounts.tests.factories import PASSWORD, UserFactory
from sartiq.api.auth import create_access_token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/login/access-token"
ME = "/api/v1/users/me"


def login(anon, username, password, **extra):
    return anon.post(TOKEN_URL, {"username": username, "password": password, **extra})


def test_login_returns_a_bearer_jwt_whose_sub_is_the_user_id(anon, user):
    response = login(anon, user.email, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    claims = jwt.decode(body["access_token"], settings.SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == str(user.id)
    assert "exp" in claims


def test_login_accepts_the_optional_oauth2_form_fields_and_any_email_case(anon, user):
    response = login(anon, user.email.upper(), PASSWORD, grant_type="password", scope="", client_id="web")
    assert response.status_code == 200


def test_the_token_authenticates_with_any_case_of_the_scheme(anon, user):
    token = login(anon, user.email, PASSWORD).json()["access_token"]
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = anon.get(ME, HTTP_AUTHORIZATION=f"{scheme} {token}")
        assert response.status_code == 200
        assert response.json()["id"] == str(user.id)


def test_test_token_returns_the_user(api, user):
    response = api.post("/api/v1/login/test-token")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.parametrize(
    "username, password",
    [("user-unknown@example.com", PASSWORD), (None, "wrong-password")],
    ids=["unknown email", "wrong password"],
)
def test_wrong_credentials_are_400(anon, user, username, password):
    response = login(anon, username or user.email, password)
    assert response.status_code == 400
    assert response.json() == {"detail": "Incorrect email or password"}


def test_inactive_user_cannot_log_in(anon):
    inactive = UserFactory(is_active=False)
    response = login(anon, inactive.email, PASSWORD)
    assert response.status_code == 400
    assert response.json() == {"detail": "Inactive user"}


def test_login_form_without_fields_is_a_422_per_missing_field(anon):
    response = anon.post(TOKEN_URL, {})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": None},
            {"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": None},
        ]
    }


def _assert_401(response, detail):
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == "Bearer"


def test_no_authorization_header_is_not_authenticated(anon):
    _assert_401(anon.get(ME), "Not authenticated")


def test_another_scheme_is_not_authenticated(anon, user):
    token, _ = create_access_token(user.id)
    _assert_401(anon.get(ME, HTTP_AUTHORIZATION=f"Basic {token}"), "Not authenticated")
    _assert_401(anon.get(ME, HTTP_AUTHORIZATION="Bearer "), "Not authenticated")


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: "not-a-jwt",
        lambda user: create_access_token(user.id, timedelta(seconds=-1))[0],
        lambda user: jwt.encode({"sub": str(user.id), "exp": 9999999999}, "another-key-that-is-long-enough-for-hs256!!", algorithm="HS256"),
        lambda user: jwt.encode({"sub": str(user.id)}, settings.SECRET_KEY, algorithm="HS256"),
        lambda user: jwt.encode({"sub": "not-a-uuid", "exp": 9999999999}, settings.SECRET_KEY, algorithm="HS256"),
        lambda user: jwt.encode({"sub": str(user.id), "exp": 9999999999}, settings.SECRET_KEY * 2, algorithm="HS512"),
        lambda user: jwt.encode({"sub": str(user.id), "exp": 9999999999}, None, algorithm="none"),
        lambda user: jwt.encode({"sub": str(user.id), "exp": 9999999999, "ver": user.token_version + 1},
                                settings.SECRET_KEY, algorithm="HS256"),
        lambda user: jwt.encode({"sub": str(user.id), "exp": 9999999999, "ver": str(user.token_version)},
                                settings.SECRET_KEY, algorithm="HS256"),
    ],
    ids=["malformed", "expired", "wrong key", "no expiry", "sub not a uuid", "other algorithm", "unsigned",
         "another token version", "version not an integer"],
)
def test_invalid_tokens_cannot_validate_credentials(anon, user, make_token):
    _assert_401(anon.get(ME, HTTP_AUTHORIZATION=f"Bearer {make_token(user)}"), "Could not validate credentials")


def test_token_of_a_deleted_user_cannot_validate_credentials(anon):
    gone = UserFactory()
    token, _ = create_access_token(gone.id)
    User.objects.filter(pk=gone.pk).delete()
    _assert_401(anon.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}"), "Could not validate credentials")


def test_token_of_a_deactivated_user_is_refused(anon):
    user = UserFactory()
    token, _ = create_access_token(user.id)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = anon.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Inactive user"}


def test_every_api_endpoint_but_login_and_signup_needs_a_token(anon):
    for method, url in [
        ("get", "/api/v1/products/"),
        ("post", "/api/v1/subjects/"),
        ("get", "/api/v1/organizations/"),
        ("post", "/api/v1/login/test-token"),
        ("patch", ME),
    ]:
        _assert_401(getattr(anon, method)(url), "Not authenticated")


def test_authentication_is_checked_before_validation(anon):
    """FastAPI resolves the auth dependency first: a bad request without a token is a 401."""
    _assert_401(anon.get("/api/v1/products/not-a-uuid"), "Not authenticated")


def test_signup_creates_a_user_who_can_log_in(anon):
    response = anon.post("/api/v1/users/signup", {"email": "New@Example.com", "password": "long enough", "full_name": "N"},
                         format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["is_superuser"] is False and body["is_active"] is True
    assert login(anon, "new@example.com", "long enough").status_code == 200


def test_signup_with_a_taken_email_is_400_and_creates_nothing(anon, user):
    before = User.objects.count()
    response = anon.post("/api/v1/users/signup", {"email": user.email.upper(), "password": "long enough"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The user with this email already exists in the system"}
    assert User.objects.count() == before


def test_signup_with_a_short_password_is_422(anon):
    response = anon.post("/api/v1/users/signup", {"email": "a@example.com", "password": "short"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters",
         "input": "short", "ctx": {"min_length": 8}}
    ]
    assert not User.objects.filter(email="a@example.com").exists()


def test_me_reads_and_updates_the_caller(api, user):
    assert api.get(ME).json()["email"] == user.email
    response = api.patch(ME, {"full_name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["full_name"] == "Renamed"
    user.refresh_from_db()
    assert user.full_name == "Renamed"


def test_me_cannot_take_another_users_email(api, other_user, user):
    response = api.patch(ME, {"email": other_user.email}, format="json")
    assert response.status_code == 409
    user.refresh_from_db()
    assert user.email != other_user.email


def test_password_change_needs_the_current_password(api, user, anon):
    wrong = api.patch(f"{ME}/password", {"current_password": "not-the-one", "new_password": "quartz lantern 41"}, format="json")
    assert wrong.status_code == 400
    ok = api.patch(f"{ME}/password", {"current_password": PASSWORD, "new_password": "quartz lantern 41"}, format="json")
    assert ok.status_code == 200
    assert login(anon, user.email, "quartz lantern 41").status_code == 200
    assert login(anon, user.email, PASSWORD).status_code == 400
