"""What every request, or the hottest ones, costs: querysets compiled once (`sartiq.compiled`) answer
what the queryset itself answers, a verified token is remembered, a rendered response is freed."""
import uuid

import pytest

from sartiq.accounts.models import User
from sartiq.api.auth import token_user
from sartiq.compiled import Compiled
from shootings.models import Shooting

pytestmark = pytest.mark.django_db


def test_the_token_user_is_the_orms(user, other_user):
    for expected in (user, other_user):
        found = token_user(expected.pk)
        orm = User.objects.get(pk=expected.pk)
        assert type(found) is User and found.pk == orm.pk
        assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(orm, f.attname) for f in User._meta.concrete_fields}
        assert found._state.adding is False and found._state.db == "default"
    assert token_user(uuid.uuid4()) is None


def test_a_value_the_orm_transforms_is_compiled_each_time():
    """A stand-in that does not reach the parameters as given (here: made a string) is not
    substituted: that shape is built on every call."""
    compiled = Compiled(lambda owner_id: Shooting.objects.filter(name=str(owner_id)))
    owner_id = uuid.uuid4()
    sql, params = compiled.sql((), (owner_id,))
    assert list(params) == [str(owner_id)]
    assert compiled.sql((), (uuid.uuid4(),))[1] != params


def test_a_verified_token_is_remembered_until_it_expires(user, monkeypatch):
    """The second use of a token skips the signature check, but not the expiry or the key (the
    user's token version is compared on every request: tests/test_auth.py)."""
    import jwt
    from django.test import override_settings
    from rest_framework import exceptions

    from sartiq.api import auth

    token, _ = auth.create_access_token(user)
    assert auth.claims_from_token(token) == (user.pk, user.token_version)
    calls, decode = [], jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: calls.append(1) or decode(*a, **k))
    assert auth.claims_from_token(token) == (user.pk, user.token_version) and calls == []
    with override_settings(SECRET_KEY="another-key-" + "k" * 40), pytest.raises(exceptions.AuthenticationFailed):
        auth.claims_from_token(token)
    expiry = auth._VERIFIED[(auth.settings.SECRET_KEY, token)][2]
    monkeypatch.setattr(auth.time, "time", lambda: expiry + 1)  # past its expiry: verified again
    auth.claims_from_token(token)
    assert calls == [1, 1]


def test_a_rendered_responses_data_is_not_kept_by_its_view(user):
    """DRF's view and response refer to each other; once rendered, the view lets go of the response,
    so its data (a large shooting's tree) goes with the response, not at the next full collection
    (what that does to a web worker's memory: `make bench`'s memory part, docs/performance.md)."""
    from conftest import client_for

    response = client_for(user).get("/api/v1/shootings/")
    assert response.status_code == 200 and response.renderer_context["view"].response is None


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_changes_a_returned_column_does_not_break_prepared_statements(user):
    """The token's user runs as a prepared statement; a migration applied while a web worker keeps
    its connection may change a column it returns. PostgreSQL then refuses the old plan; the
    statement is prepared anew instead of answering 500 until the connection is recycled."""
    import psycopg
    from django.db import connection

    def migrate(column_type):  # from another connection, as `manage.py migrate` in another process
        params = connection.get_connection_params()
        params.pop("cursor_factory", None), params.pop("context", None), params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute(f"ALTER TABLE accounts_user ALTER COLUMN full_name TYPE {column_type}")

    for _ in range(3):  # prepared from its second use on this connection
        assert token_user(user.pk).pk == user.pk
    migrate("text")
    try:
        assert token_user(user.pk).pk == user.pk
        assert token_user(user.pk).pk == user.pk
    finally:
        migrate("varchar(255)")
