"""`JPEG` and `JPG` (issue #17): the export configuration speaks JPEG, looks and guidelines speak JPG
(the reference's FileFormat). Every input takes both spellings; every answer keeps its own (JPG for
looks and guidelines, as the reference; JPEG for the export configuration)."""
import pytest

from conftest import client_for
from sartiq.catalog.tests import factories as f
from shootings.tests.factories import LookFactory, ShootingFactory

pytestmark = pytest.mark.django_db


def test_guidelines_read_jpeg_as_jpg(user):
    client = client_for(user)
    created = client.post("/api/v1/guidelines/", {"name": "G", "file_format": "JPEG"}, format="json")
    assert (created.status_code, created.json()["file_format"]) == (200, "JPG")
    updated = client.patch(f"/api/v1/guidelines/{created.json()['id']}", {"file_format": "JPEG"}, format="json")
    assert updated.json()["file_format"] == "JPG"


def test_looks_read_jpeg_as_jpg_wherever_they_take_a_file_format(user):
    client = client_for(user)
    shooting = ShootingFactory(owner=user)
    subject = f.SubjectFactory(owner=user, gender="FEMALE")
    tee, dress = f.ProductFactory(owner=user, gender="UNISEX"), f.ProductFactory(owner=user, gender="FEMALE")
    looks = client.post(f"/api/v1/shootings/{shooting.pk}/looks", {
        "subject_ids": [str(subject.pk)], "product_ids": [str(tee.pk)], "default_file_format": "JPEG",
        "product_outfit_configs": [{"product_id": str(dress.pk), "file_format": "JPEG"}]}, format="json")
    assert looks.status_code == 200, looks.json()
    assert [look["file_format"] for look in looks.json()["looks"]] == ["JPG", "JPG"]
    look = LookFactory(shooting=shooting, file_format="PNG")
    updated = client.put(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}", {"file_format": "JPEG"}, format="json")
    assert (updated.status_code, updated.json()["file_format"]) == (200, "JPG")


def test_the_export_configuration_reads_jpg_as_jpeg(user):
    client = client_for(user)
    client.put("/api/v1/export-configuration", {"format": "PNG"}, format="json")
    response = client.put("/api/v1/export-configuration", {"format": "JPG"}, format="json")
    assert (response.status_code, response.json()["format"]) == (200, "JPEG")
    assert client.get("/api/v1/export-configuration").json()["format"] == "JPEG"


@pytest.mark.parametrize("url, method, body", [
    ("/api/v1/guidelines/", "post", {"name": "G", "file_format": "jpeg"}),
    ("/api/v1/export-configuration", "put", {"format": "GIF"}),
])
def test_other_spellings_are_still_422(user, url, method, body):
    response = getattr(client_for(user), method)(url, body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "enum"


def test_the_document_lists_both_spellings_on_input_and_one_on_output(client):
    doc = client.get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert set(schemas["ImageFormatInput"]["enum"]) == {"JPG", "JPEG", "PNG", "WEBP", "AVIF"}
    guidelines = schemas["ShootingGuidelinesCreate"]["properties"]["file_format"]
    assert guidelines["allOf"] == [{"$ref": "#/components/schemas/ImageFormatInput"}]
    assert "JPEG is read as JPG" in guidelines["description"]
    export = schemas["ExportConfigurationUpdate"]["properties"]["format"]
    assert export["allOf"] == [{"$ref": "#/components/schemas/ImageFormatInput"}]
    assert "JPG is read as JPEG" in export["description"]
    assert schemas["FileFormat"]["enum"] == ["JPG", "PNG", "WEBP", "AVIF"]  # what the looks' answers carry
