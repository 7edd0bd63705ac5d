"""Querysets compiled once (`sartiq.compiled`) answer what the queryset itself answers."""
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
