"""The shootings list is built from rows (`sartiq.api.rows`), not model instances: it answers the
bytes the serializer it is declared by answers, page by page."""
import uuid

import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import MembershipFactory, OrganizationFactory
from sartiq.api.renderers import JSONRenderer
from sartiq.api.rows import Rows
from sartiq.catalog.tests.factories import ShootingGuidelinesFactory, fully_loaded
from shootings import selectors
from shootings.api.serializers import ShootingPublicSerializer
from shootings.models import Shooting
from shootings.tests.factories import LookFactory, ShootingFactory, fully_loaded_look, look_with_shots

pytestmark = pytest.mark.django_db


@pytest.fixture
def shootings(user):
    guidelines = fully_loaded(ShootingGuidelinesFactory, owner=user)
    loaded = ShootingFactory(owner=user, default_guidelines=guidelines, description="All of it", season="FW26",
                             collection="Main", brand="Sartiq")
    fully_loaded_look(loaded)
    look_with_shots(loaded, statuses=[None, "REVIEW"], status="READY")
    ShootingFactory(owner=user, default_guidelines=guidelines)  # the same guidelines again, no looks
    bare = ShootingFactory(owner=user, description=None, due_date=None, archived=True)
    LookFactory(shooting=bare, status="DRAFT")  # a draft look without shots
    organization = OrganizationFactory()
    MembershipFactory(user=user, organization=organization)
    ShootingFactory(owner=user, organization=organization)
    return Shooting.objects.filter(owner=user, organization__isnull=True)


def serialized(queryset, skip=0, limit=100) -> bytes:
    """The page as the serializer renders it from model instances."""
    objects = selectors.shootings().filter(pk__in=queryset.values("pk"))
    data = ShootingPublicSerializer(objects[skip:skip + limit], many=True, context={}).data
    return JSONRenderer().render({"data": data, "count": objects.count()})


@pytest.mark.parametrize("skip,limit", [(0, 100), (0, 2), (1, 2), (2, 100), (3, 1), (10, 5)])
def test_the_list_answers_what_the_serializer_renders(user, shootings, skip, limit):
    response = client_for(user).get("/api/v1/shootings/", {"skip": skip, "limit": limit})
    assert response.status_code == 200
    assert response.content == serialized(shootings, skip, limit)


def test_an_organizations_list_too(user, shootings):
    organization = user.memberships.get().organization
    response = client_for(user).get("/api/v1/shootings/", {"organization_id": str(organization.pk)})
    assert response.content == serialized(Shooting.objects.filter(organization=organization))


def test_an_empty_list_counts_nothing(other_user):
    response = client_for(other_user).get("/api/v1/shootings/", {"skip": 5})
    assert response.json() == {"data": [], "count": 0}


def test_a_field_that_is_no_column_must_be_given():
    with pytest.raises(ValueError, match="default_guidelines is not a column"):
        Rows(ShootingPublicSerializer)


@pytest.mark.parametrize("statuses", [["DRAFT"], ["WITHOUT_STATUS", "REVIEW"], ["APPROVED"]])
def test_a_filtered_list_too(user, shootings, statuses):
    """Filters take the queryset path (`filter_queryset`), the same rows reader."""
    response = client_for(user).get("/api/v1/shootings/", {"statuses": statuses})
    expected = selectors.filter_shootings_by_status(selectors.shooting_rows().filter(pk__in=shootings), statuses)
    assert response.status_code == 200
    assert response.content == serialized(Shooting.objects.filter(pk__in=expected.values("pk")))


def test_a_superusers_list_holds_everyones(superuser, shootings, other_user):
    ShootingFactory(owner=other_user)
    response = client_for(superuser).get("/api/v1/shootings/", {"limit": 3})
    assert response.content == serialized(Shooting.objects.all(), 0, 3)


def test_an_organization_the_caller_is_not_in_is_403(other_user, shootings, user):
    organization = user.memberships.get().organization
    response = client_for(other_user).get("/api/v1/shootings/", {"organization_id": str(organization.pk)})
    assert response.status_code == 403


def test_one_compiled_statement_per_scope_and_page(user, other_user, shootings, django_assert_num_queries):
    """The list's SQL is compiled once per tenancy scope and page: another user's list runs the same
    statement with their id, and sees only their own shootings."""
    from shootings.api.views import SHOOTING_PAGE

    client_for(user).get("/api/v1/shootings/")
    shape = ("personal", 0, 100)
    sql, params = SHOOTING_PAGE.sql(shape, (other_user.pk,))
    assert SHOOTING_PAGE.sql(shape, (user.pk,))[0] == sql and other_user.pk in params
    ShootingFactory(owner=other_user, name="Theirs")
    assert [row["name"] for row in client_for(other_user).get("/api/v1/shootings/").json()["data"]] == ["Theirs"]


def test_a_nested_object_deleted_between_the_reads_is_null():
    """The page is read, then its guidelines: guidelines deleted in between show as null, not a 500."""
    rows = Rows(ShootingPublicSerializer, nested={"default_guidelines": lambda ids: {}})
    row = [None] * len(rows.columns)
    row[rows.columns.index("default_guidelines_id")] = uuid.uuid4()
    assert rows.dicts([tuple(row)])[0]["default_guidelines"] is None
