"""Integrations and product mappings: write-only credentials, tenancy, bad input."""
import uuid

import pytest

from conftest import client_for
from integrations.models import ExternalIntegration, ExternalProductMapping
from integrations.secrets import reveal
from sartiq.catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
FORBIDDEN = {"detail": "Not enough permissions"}


def create(client, **body):
    return client.post("/api/v1/external-integrations/", {"name": "OVS", "integration_type": "OVS",
                                                          "endpoint_url": "https://ovs.example.com", **body},
                       format="json")


def test_credentials_are_stored_encrypted_and_never_returned(user):
    response = create(client_for(user), credentials="super-secret-token")
    assert response.status_code == 200
    body = response.json()
    assert body["has_credentials"] is True and "credentials_reference" not in body
    assert "super-secret-token" not in response.content.decode() and "credentials" not in body
    integration = ExternalIntegration.objects.get()
    assert integration.credentials.startswith("fernet:") and "super-secret" not in integration.credentials
    assert reveal(integration.credentials) == "super-secret-token"
    listed = client_for(user).get("/api/v1/external-integrations/").content.decode()
    assert "super-secret" not in listed and integration.callback_secret not in listed


def test_credentials_never_reference_the_servers_environment(user):
    """Security issue #10: `env:NAME` once read the server's environment; it is refused now."""
    response = create(client_for(user), credentials="env:OVS_TOKEN")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "credentials"]]
    assert not ExternalIntegration.objects.exists()


def test_bad_input(user):
    response = create(client_for(user), integration_type="AMAZON", endpoint_url="not a url")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "integration_type"], ["body", "endpoint_url"]]
    assert not ExternalIntegration.objects.exists()


def test_integrations_follow_tenancy(user, org, member, other_user):
    shared = client_for(user).post(f"/api/v1/external-integrations/?organization_id={org.pk}",
                              {"name": "OVS", "integration_type": "OVS"}, format="json").json()
    assert client_for(member).get(f"/api/v1/external-integrations/{shared['id']}").status_code == 200
    assert client_for(other_user).get(f"/api/v1/external-integrations/{shared['id']}").json() == FORBIDDEN
    assert client_for(other_user).patch(f"/api/v1/external-integrations/{shared['id']}", {"enabled": False},
                                        format="json").status_code == 403
    # Members read the organization's integrations; admins and owners change them (security issue #10).
    assert client_for(member).patch(f"/api/v1/external-integrations/{shared['id']}", {"enabled": False},
                                    format="json").json() == FORBIDDEN
    assert client_for(user).patch(f"/api/v1/external-integrations/{shared['id']}", {"enabled": False},
                                  format="json").json()["enabled"] is False


def test_product_mappings(user, other_user):
    integration = create(client_for(user)).json()
    product = ProductFactory(owner=user)
    client = client_for(user)
    mapping = client.post("/api/v1/external-product-mappings/", {
        "product_id": str(product.pk), "integration_id": integration["id"], "style_code": "OV1", "colour_code": "01",
    }, format="json")
    assert mapping.status_code == 200, mapping.json()
    assert (mapping.json()["style_code"], mapping.json()["product_id"]) == ("OV1", str(product.pk))
    again = client.post("/api/v1/external-product-mappings/", {"product_id": str(product.pk),
                                                               "integration_id": integration["id"]}, format="json")
    assert (again.status_code, again.json()) == (400, {"detail": "The product is already mapped for this integration"})
    theirs = ProductFactory(owner=other_user)
    assert client.post("/api/v1/external-product-mappings/", {"product_id": str(theirs.pk),
                                                              "integration_id": integration["id"]},
                       format="json").status_code == 403
    assert client.post("/api/v1/external-product-mappings/", {"product_id": str(product.pk),
                                                              "integration_id": str(uuid.uuid4())},
                       format="json").json() == {"detail": "Integration not found"}
    assert client.get(f"/api/v1/external-product-mappings/?product_id={product.pk}").json()["count"] == 1
    assert client_for(other_user).get("/api/v1/external-product-mappings/").json()["count"] == 0
    updated = client.patch(f"/api/v1/external-product-mappings/{mapping.json()['id']}", {"colour_code": "02"},
                           format="json").json()
    assert updated["colour_code"] == "02" and updated["style_code"] == "OV1"
    assert client.delete(f"/api/v1/external-product-mappings/{mapping.json()['id']}").json() == {
        "message": "Mapping deleted successfully"}
    assert not ExternalProductMapping.objects.exists()
