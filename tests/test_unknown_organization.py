"""A superuser belongs to every organization, but not to one that does not exist: writing into a
made-up organization id is a 404, never a database error (issue 10 walk)."""
import uuid

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db

BODIES = {
    "products": {"name": "P"},
    "subjects": {"name": "S", "gender": "FEMALE"},
    "shot-types": {"name": "T"},
    "styles": {"name": "S"},
    "external-integrations": {"name": "OVS", "integration_type": "OVS"},
}


@pytest.mark.parametrize("resource", BODIES)
def test_creating_in_an_unknown_organization_is_404(superuser, resource):
    made_up = uuid.uuid4()
    response = client_for(superuser).post(f"/api/v1/{resource}/?organization_id={made_up}", BODIES[resource],
                                          format="json")
    assert (response.status_code, response.json()) == (404, {"detail": "Organization not found"})


def test_a_shooting_in_an_unknown_organization_is_404(superuser):
    response = client_for(superuser).post("/api/v1/shootings/", {
        "name": "S", "due_date": "2030-01-01T00:00:00Z", "organization_id": str(uuid.uuid4())}, format="json")
    assert (response.status_code, response.json()) == (404, {"detail": "Organization not found"})
