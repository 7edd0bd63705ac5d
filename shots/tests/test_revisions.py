"""Revisions: creation from every kind of image, bad input, the chain operations, concurrency."""
import base64
import os
import uuid

import pytest
from django.core.files.storage import default_storage

from conftest import client_for
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, Prediction, Shot, ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def stored_files() -> set:
    root = default_storage.location
    return {os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files}


def post_revision(user, shot, body):
    return client_for(user).post(f"/api/v1/shots/{shot.pk}/revision", body, format="json")


def test_a_revision_with_uploaded_data_and_a_sketch(user, shot):
    body = {"shot_status": "PROPOSAL", "notes": "First pass", "images": [
        {"source_type": "UPLOAD", "image_data": b64(png_bytes((30, 40))),
         "sketch_image_data": "data:image/png;base64," + b64(png_bytes((10, 10))), "notes": "front"},
        {"image_data": b64(png_bytes((20, 20)))},
    ]}
    response = post_revision(user, shot, body)
    assert response.status_code == 200, response.json()
    revision = response.json()
    assert (revision["version"], revision["shot_status"], revision["notes"]) == (1, "PROPOSAL", "First pass")
    assert revision["display_name"] == "Version 1" and revision["owner_id"] == str(user.pk)
    first = revision["images"][0]
    assert first["image_media"]["width"] == 30 and first["sketch_image_media"]["width"] == 10
    assert first["effective_image_url"] == first["image_media"]["url"] == revision["effective_image_url"]
    assert default_storage.exists(MediaResource.objects.get(pk=first["image_media"]["id"]).file.name)
    shot_body = client_for(user).get(f"/api/v1/shots/{shot.pk}").json()
    assert (shot_body["status"], shot_body["current_revision_id"]) == ("PROPOSAL", revision["id"])


def test_versions_increase_and_a_new_revision_follows_the_current_one(user, shot):
    ids = []
    for status in ("PROPOSAL", "REVIEW", "POST_PROD"):
        ids.append(post_revision(user, shot, {"shot_status": status, "images": []}).json()["id"])
    revisions = list(ShotRevision.objects.filter(shot=shot).order_by("version"))
    assert [r.version for r in revisions] == [1, 2, 3]
    assert [r.previous_revision_id for r in revisions] == [None, revisions[0].pk, revisions[1].pk]
    branch = post_revision(user, shot, {"shot_status": "REVIEW", "images": [], "previous_revision_id": ids[0]}).json()
    assert (branch["version"], branch["previous_revision_id"]) == (4, ids[0])


def test_a_prediction_image_comes_from_the_shots_generation(user, shot):
    media = MediaResource.objects.create(owner=user, file="generated/x.png", content_hash="0", extension="png",
                                         file_size=1, width=1, height=1)
    prediction = Prediction.objects.create(generation=Generation.objects.create(shot=shot), media=media)
    body = {"shot_status": "PROPOSAL", "images": [{"source_type": "PREDICTION", "prediction_id": str(prediction.pk)}]}
    image = post_revision(user, shot, body).json()["images"][0]
    assert image["prediction_id"] == str(prediction.pk) and image["image_media"]["id"] == str(media.pk)
    other = Prediction.objects.create(generation=Generation.objects.create(
        shot=ShotFactory(shooting_look=shot.shooting_look)), media=media)
    body["images"][0]["prediction_id"] = str(other.pk)
    assert post_revision(user, shot, body).status_code == 422


BAD_IMAGES = {
    "malformed base64": ({"image_data": "not base64!!"}, ["body", "images", 0, "image_data"]),
    "base64 of non-image bytes": ({"image_data": b64(b"%PDF-1.4 not an image")}, ["body", "images", 0, "image_data"]),
    "truncated image": ({"image_data": b64(png_bytes()[:50])}, ["body", "images", 0, "image_data"]),
    "outside URL": ({"image_url": "https://evil.example.com/x.png"}, ["body", "images", 0, "image_url"]),
    "traversal in a storage URL": ({"image_url": "/media/../etc/passwd"}, ["body", "images", 0, "image_url"]),
    "storage URL of nothing uploaded": ({"image_url": "/media/uploads/shots/other/x.png"},
                                        ["body", "images", 0, "image_url"]),
    "no image at all": ({"notes": "just notes"}, ["body", "images", 0]),
    "bad sketch": ({"image_data": b64(png_bytes()), "sketch_image_data": "@@@"},
                   ["body", "images", 0, "sketch_image_data"]),
}


@pytest.mark.parametrize("image, loc", BAD_IMAGES.values(), ids=BAD_IMAGES.keys())
def test_bad_images_are_422_and_change_nothing(user, shot, image, loc):
    good = {"image_data": b64(png_bytes())}
    before = stored_files()
    response = post_revision(user, shot, {"shot_status": "PROPOSAL", "images": [good, image]})
    assert response.status_code == 422, response.json()
    assert response.json()["detail"][0]["loc"] == [*loc[:2], 1, *loc[3:]]
    assert not ShotRevision.objects.exists() and not MediaResource.objects.exists()
    assert stored_files() == before  # the good image written first was removed again
    shot.refresh_from_db()
    assert shot.current_revision_id is None


def test_invalid_request_shapes(user, shot):
    assert post_revision(user, shot, {"images": []}).json()["detail"][0]["loc"] == ["body", "shot_status"]
    bad = post_revision(user, shot, {"shot_status": "GOOD", "images": [{"source_type": "PHOTO"}]}).json()["detail"]
    assert [e["loc"] for e in bad] == [["body", "shot_status"], ["body", "images", 0, "source_type"]]
    assert not ShotRevision.objects.exists()


def test_previous_revision_of_another_shot_is_refused(user, shot):
    foreign = add_revision(ShotFactory(shooting_look=shot.shooting_look), "PROPOSAL")
    response = post_revision(user, shot, {"shot_status": "PROPOSAL", "images": [],
                                          "previous_revision_id": str(foreign.pk)})
    assert (response.status_code, response.json()) == (400, {"detail": "previous_revision_id is not a revision of this shot"})
    assert post_revision(user, shot, {"shot_status": "PROPOSAL", "images": [],
                                      "previous_revision_id": str(uuid.uuid4())}).status_code == 404
    assert not ShotRevision.objects.filter(shot=shot).exists()


def test_other_tenants_cannot_add_revisions(other_user, shot):
    response = post_revision(other_user, shot, {"shot_status": "PROPOSAL", "images": [{"image_data": b64(png_bytes())}]})
    assert response.status_code == 403
    assert not ShotRevision.objects.exists() and not MediaResource.objects.exists()


# --- the chain ------------------------------------------------------------------------------------
@pytest.fixture
def chain(shot):
    """rev1 -> rev2 -> rev3 -> rev4 (current), each with a stored image."""
    revisions = []
    for status in ("PROPOSAL", "REJECTED", "PROPOSAL", "REVIEW"):
        revision = add_revision(shot, status)
        image = revision.images.first()
        image.image_media = MediaResource.objects.create(
            owner=shot.shooting_look.shooting.owner, file=default_storage.save(f"r/{uuid.uuid4()}.png",
                                                                              __import__("io").BytesIO(png_bytes())),
            content_hash="0", extension="png", file_size=1)
        image.save()
        revisions.append(revision)
    return revisions


def test_get_a_revision(user, chain):
    body = client_for(user).get(f"/api/v1/shots/revisions/{chain[1].pk}").json()
    assert body["version"] == 2 and body["previous_revision_id"] == str(chain[0].pk)
    assert client_for(user).get(f"/api/v1/shots/revisions/{uuid.uuid4()}").json() == {"detail": "Revision not found"}


def test_a_referenced_revision_cannot_be_deleted(user, chain):
    response = client_for(user).delete(f"/api/v1/shots/revisions/{chain[1].pk}")
    assert response.status_code == 409
    assert ShotRevision.objects.count() == 4


def test_deleting_the_current_revision_makes_its_previous_current(user, shot, chain, django_capture_on_commit_callbacks):
    name = chain[3].images.first().image_media.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/v1/shots/revisions/{chain[3].pk}")
    assert response.status_code == 204 and response.content == b""
    shot.refresh_from_db()
    assert shot.current_revision_id == chain[2].pk
    assert client_for(user).get(f"/api/v1/shots/{shot.pk}").json()["status"] == "PROPOSAL"
    assert not default_storage.exists(name)
    assert MediaResource.objects.count() == 3


def test_restore_deletes_every_later_revision(user, shot, chain, django_capture_on_commit_callbacks):
    later_files = [r.images.first().image_media.file.name for r in chain[2:]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(f"/api/v1/shots/revisions/{chain[1].pk}/restore")
    assert response.status_code == 200 and response.json()["id"] == str(chain[1].pk)
    assert list(ShotRevision.objects.order_by("version").values_list("pk", flat=True)) == [chain[0].pk, chain[1].pk]
    shot.refresh_from_db()
    assert shot.current_revision_id == chain[1].pk
    assert client_for(user).get(f"/api/v1/shots/{shot.pk}").json()["status"] == "REJECTED"
    assert not any(default_storage.exists(name) for name in later_files)
    # Restoring the current revision changes nothing.
    assert client_for(user).post(f"/api/v1/shots/revisions/{chain[1].pk}/restore").status_code == 200
    assert ShotRevision.objects.count() == 2


def test_restore_is_refused_when_a_later_revision_was_exported(user, chain):
    from integrations.models import ExternalImagePush, ExternalIntegration

    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    ExternalImagePush.objects.create(revision=chain[3], integration=integration, push_status="COMPLETED")
    response = client_for(user).post(f"/api/v1/shots/revisions/{chain[0].pk}/restore")
    assert response.status_code == 409
    assert ShotRevision.objects.count() == 4


def test_set_current_moves_the_shot_status(user, shot, chain):
    response = client_for(user).post(f"/api/v1/shots/revisions/{chain[1].pk}/set-current")
    assert response.status_code == 200
    body = client_for(user).get(f"/api/v1/shots/{shot.pk}").json()
    assert (body["current_revision_id"], body["status"]) == (str(chain[1].pk), "REJECTED")
    assert ShotRevision.objects.count() == 4


def test_chain_operations_respect_tenancy(other_user, chain):
    client = client_for(other_user)
    for method, url in [("get", ""), ("delete", ""), ("post", "/restore"), ("post", "/set-current")]:
        assert getattr(client, method)(f"/api/v1/shots/revisions/{chain[3].pk}{url}").status_code == 403
    assert ShotRevision.objects.count() == 4


# --- versions are never reused (issue #11) --------------------------------------------------------
def versions_after(user, shot, *steps) -> list[int]:
    """Run the steps ("new", "delete latest", "restore first") through the API; the versions created."""
    created, ids = [], []
    client = client_for(user)
    for step in steps:
        if step == "new":
            body = post_revision(user, shot, {"shot_status": "PROPOSAL", "images": []}).json()
            created.append(body["version"])
            ids.append(body["id"])
        elif step == "delete latest":
            assert client.delete(f"/api/v1/shots/revisions/{ids.pop()}").status_code == 204
        elif step == "restore first":
            assert client.post(f"/api/v1/shots/revisions/{ids[0]}/restore").status_code == 200
            del ids[1:]
    return created


def test_a_deleted_version_is_never_given_again(user, shot):
    assert versions_after(user, shot, "new", "new", "delete latest", "new") == [1, 2, 3]


def test_deleting_every_revision_does_not_restart_the_versions(user, shot):
    assert versions_after(user, shot, "new", "new", "delete latest", "delete latest", "new") == [1, 2, 3]


def test_restore_does_not_free_the_versions_it_deletes(user, shot):
    assert versions_after(user, shot, "new", "new", "new", "restore first", "new") == [1, 2, 3, 4]


def test_the_admins_form_cannot_lower_the_counter(user, shot):
    """A full save of a shot read before a revision was created keeps the counter the database has."""
    stale = Shot.objects.get(pk=shot.pk)
    versions_after(user, shot, "new", "new", "delete latest")
    stale.rework_available = 5
    stale.save()
    assert versions_after(user, shot, "new") == [3]


def test_the_migration_continues_each_shot_after_its_highest_version(user, shot):
    from importlib import import_module

    from django.db import connection

    migration = import_module("shots.migrations.0006_revision_version_counter")
    other = ShotFactory(shooting_look=shot.shooting_look, shot_type=None)
    add_revision(shot, "PROPOSAL")
    add_revision(shot, "PROPOSAL")
    Shot.objects.update(last_revision_version=0)
    with connection.cursor() as cursor:
        cursor.execute(migration.FROM_EXISTING)
    assert dict(Shot.objects.values_list("pk", "last_revision_version")) == {shot.pk: 2, other.pk: 0}

