"""Media references (issue #10, finding 4): every input that names stored media, by id or by a URL
of our storage, is checked the same way against the audience of what it writes; media is released
only when nothing references it any more; readers of stored bytes read only what the shooting may."""
import base64

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import client_for
from sartiq.catalog.models import SubjectBaseImage
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.generation import build_request, generation_run
from shots.models import Generation, Prediction, Shot, ShotRevision

pytestmark = pytest.mark.django_db


def upload(user, colour=(200, 30, 30), organization=None) -> dict:
    """A media resource stored through the API; its public body."""
    query = f"?organization_id={organization.pk}" if organization else ""
    response = client_for(user).post(f"/api/v1/media-resources/{query}", {
        "file": SimpleUploadedFile("a.png", png_bytes((12, 12), colour), "image/png")}, format="multipart")
    assert response.status_code == 200, response.json()
    return response.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def own_shot(user, organization=None):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user, organization=organization))


def post_revision(user, shot, *images):
    return client_for(user).post(f"/api/v1/shots/{shot.pk}/revision", {"shot_status": "PROPOSAL",
                                                                       "images": list(images)}, format="json")


@pytest.mark.parametrize("field", ["image_url", "sketch_image_url"])
def test_another_tenants_media_cannot_be_attached_to_a_revision(user, other_user, field):
    theirs = upload(user)
    shot = own_shot(other_user)
    image = {"image_data": b64(png_bytes())} if field == "sketch_image_url" else {}
    response = post_revision(other_user, shot, {**image, field: theirs["url"]})
    assert (response.status_code, response.json()) == (403, {"detail": "Not enough permissions"})
    assert not ShotRevision.objects.exists() and MediaResource.objects.count() == 1


@pytest.mark.parametrize("field", ["image_url", "sketch_image_url"])
def test_personal_media_cannot_go_into_an_organizations_revision(user, org, field):
    mine = upload(user)  # personal: the organization's members may not see it
    shot = own_shot(user, org)
    image = {"image_data": b64(png_bytes())} if field == "sketch_image_url" else {}
    response = post_revision(user, shot, {**image, field: mine["url"]})
    assert (response.status_code, response.json()) == (400, {"detail": personal_media(org)})
    assert not ShotRevision.objects.exists()


def personal_media(org) -> str:
    return ("Media resource is personal (made without organization_id): the organization's members cannot see it, "
            "so the organization's resources cannot use it. To use it there, upload the file to the organization "
            f"(POST /api/v1/media-resources/?organization_id={org.pk}) and use the new media resource")


@pytest.mark.parametrize("path, body", [
    ("/api/v1/products/", lambda media: {"name": "P", "cover_image_media_id": media["id"]}),
    ("/api/v1/products/", lambda media: {"name": "P", "reference_images_media_ids": [media["id"]]}),
    ("/api/v1/products/", lambda media: {"name": "P", "cover_image_url": media["url"]}),
    ("/api/v1/subjects/", lambda media: {"name": "S", "gender": "FEMALE", "base_images": [
        {"shot_type_id": str(ShotTypeFactory(owner=None, public=True).pk), "image_media_id": media["id"]}]}),
], ids=["by id", "in a list of ids", "by storage URL", "nested"])
def test_personal_media_in_an_organizations_resource_says_it_is_personal_and_how_to_share_it(user, org, path, body):
    """Issue #17: it said "belongs to another organization", which it does not: it belongs to no organization."""
    mine = upload(user)
    response = client_for(user).post(f"{path}?organization_id={org.pk}", body(mine), format="json")
    assert (response.status_code, response.json()) == (400, {"detail": personal_media(org)})
    shared = upload(user, organization=org)  # what the message says to do
    done = client_for(user).post(f"{path}?organization_id={org.pk}", body(shared), format="json")
    assert done.status_code == 200, done.json()


def test_an_organizations_media_in_a_personal_resource_says_where_it_can_go(user, org):
    theirs = upload(user, organization=org)
    response = client_for(user).post("/api/v1/products/", {"name": "P", "cover_image_media_id": theirs["id"]},
                                     format="json")
    assert (response.status_code, response.json()) == (400, {"detail": (
        "Media resource belongs to an organization: a personal resource can use only personal and public ones "
        f"(write this resource in the organization, with organization_id={org.pk})")})


def test_deleting_a_revision_keeps_media_that_something_else_uses(user, django_capture_on_commit_callbacks):
    cover = upload(user)
    product = client_for(user).post("/api/v1/products/", {"name": "Shirt", "cover_image_media_id": cover["id"]},
                                    format="json").json()
    shot = own_shot(user)
    revision = post_revision(user, shot, {"image_url": cover["url"], "sketch_image_url": cover["url"]}).json()
    assert revision["images"][0]["image_media"]["id"] == cover["id"]
    name = MediaResource.objects.get(pk=cover["id"]).file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).delete(f"/api/v1/shots/revisions/{revision['id']}").status_code == 204
    assert MediaResource.objects.filter(pk=cover["id"]).exists() and default_storage.exists(name)
    assert client_for(user).get(f"/api/v1/products/{product['id']}").json()["cover_image_media"]["id"] == cover["id"]


def test_deleting_a_revision_releases_the_media_only_it_used(user, django_capture_on_commit_callbacks):
    shot = own_shot(user)
    revision = post_revision(user, shot, {"image_data": b64(png_bytes())}).json()
    media = MediaResource.objects.get(pk=revision["images"][0]["image_media"]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).delete(f"/api/v1/shots/revisions/{revision['id']}").status_code == 204
    assert not MediaResource.objects.filter(pk=media.pk).exists() and not default_storage.exists(media.file.name)


def test_deleting_a_shot_releases_its_predictions_media(user, django_capture_on_commit_callbacks):
    shot = own_shot(user)
    media = MediaResource.objects.get(pk=upload(user)["id"])
    Prediction.objects.create(generation=Generation.objects.create(shot=shot), media=media)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).delete(f"/api/v1/shots/{shot.pk}").status_code == 200
    assert not Shot.objects.exists() and not MediaResource.objects.exists()


def test_a_media_resource_in_use_cannot_be_deleted(user, django_capture_on_commit_callbacks):
    cover = upload(user)
    product = client_for(user).post("/api/v1/products/", {"name": "Shirt", "cover_image_media_id": cover["id"]},
                                    format="json").json()
    response = client_for(user).delete(f"/api/v1/media-resources/{cover['id']}")
    assert (response.status_code, response.json()) == (409, {"detail": "Media resource is in use"})
    client_for(user).patch(f"/api/v1/products/{product['id']}", {"cover_image_media_id": None}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).delete(f"/api/v1/media-resources/{cover['id']}").status_code == 200
    assert not MediaResource.objects.exists()


# --- catalog and outfits: URLs of our storage are media references ---------------------------------
def test_a_storage_url_in_a_catalog_field_is_the_media_it_names(user):
    cover = upload(user)
    response = client_for(user).post("/api/v1/products/", {"name": "Shirt", "cover_image_url": cover["url"]},
                                     format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["cover_image_media"]["id"] == cover["id"]
    assert body["cover_image_url"] == MediaResource.objects.get(pk=cover["id"]).url  # the current, signed URL
    outside = client_for(user).patch(f"/api/v1/products/{body['id']}",
                                     {"back_image_url": "https://cdn.example.com/b.png"}, format="json").json()
    assert (outside["back_image_url"], outside["back_image_media"]) == ("https://cdn.example.com/b.png", None)


CATALOG_BODIES = {
    "product cover": ("/api/v1/products/", lambda url: {"name": "P", "cover_image_url": url}),
    "subject portrait": ("/api/v1/subjects/", lambda url: {"name": "S", "gender": "FEMALE",
                                                           "portrait_image_url": url}),
    "subject base image": ("/api/v1/subjects/", lambda url: {"name": "S", "gender": "FEMALE", "base_images": [
        {"shot_type_id": str(ShotTypeFactory(owner=None, public=True).pk), "image_url": url}]}),
    "set reference image": ("/api/v1/set-designs/", lambda url: {"name": "Set", "reference_images": [
        {"shot_type_id": str(ShotTypeFactory(owner=None, public=True).pk), "image_url": url}]}),
    "pose image": ("/api/v1/pose-presets/", lambda url: {"name": "Pose", "pose_image_url": url,
                                                         "shot_type_id": str(ShotTypeFactory(owner=None,
                                                                                             public=True).pk)}),
}


@pytest.mark.parametrize("path, body", CATALOG_BODIES.values(), ids=CATALOG_BODIES.keys())
def test_another_tenants_media_cannot_be_referenced_by_url_in_the_catalog(user, other_user, path, body):
    theirs = upload(user)
    response = client_for(other_user).post(path, body(theirs["url"]), format="json")
    assert (response.status_code, response.json()) == (403, {"detail": "Not enough permissions"})


STORAGE_URL_REFUSALS = {
    "no media twin": ({"name": "P", "data_image_urls": ["{url}"]}, ["body", "data_image_urls", 0],
                      "data_image_urls cannot point to the project's storage: only outside URLs are stored here"),
    "list with an id field": ({"name": "P", "reference_images": ["{url}"]}, ["body", "reference_images", 0],
                              "reference_images cannot point to the project's storage: give the media resource id "
                              "in reference_images_media_ids"),
    "names nothing": ({"name": "P", "cover_image_url": "{prefix}uploads/nothing.png"}, ["body", "cover_image_url"],
                      "cover_image_url points to the project's storage but names no media resource"),
    "disagrees with the id": ({"name": "P", "cover_image_url": "{url}", "cover_image_media_id": "{other}"},
                              ["body", "cover_image_url"],
                              "cover_image_url and cover_image_media_id name different media resources"),
}


@pytest.mark.parametrize("body, loc, message", STORAGE_URL_REFUSALS.values(), ids=STORAGE_URL_REFUSALS.keys())
def test_storage_urls_that_are_no_usable_reference_are_422(user, body, loc, message):
    mine, other = upload(user), upload(user, (1, 2, 3))
    prefix = default_storage.url("x").split("x?", 1)[0]

    def fill(value):
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value.format(url=mine["url"], other=other["id"], prefix=prefix) if isinstance(value, str) else value

    response = client_for(user).post("/api/v1/products/", {k: fill(v) for k, v in body.items()}, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["detail"][0]["loc"] == loc and response.json()["detail"][0]["msg"] == f"Value error, {message}"


def test_another_tenants_media_cannot_be_an_outfit_reference(user, other_user):
    theirs = upload(user)
    look = LookFactory(shooting=ShootingFactory(owner=other_user))
    url = f"/api/v1/shootings/looks/{look.pk}/outfit"
    for ref in (theirs["url"], {"url": theirs["url"]}, {"media_resource_id": theirs["id"]}):
        response = client_for(other_user).post(url, {"outfit_ref_imgs_urls": [ref]}, format="json")
        assert (response.status_code, response.json()) == (403, {"detail": "Not enough permissions"}), ref
    mine, by_id = upload(other_user), upload(other_user, (1, 2, 3))
    response = client_for(other_user).post(url, {"outfit_ref_imgs_urls": [
        mine["url"], {"media_resource_id": by_id["id"]}, "https://cdn.example.com/r.png"]}, format="json")
    assert response.status_code == 200
    outfit = response.json()["outfit"]
    assert {m["id"] for m in outfit["outfit_ref_images_media"]} == {mine["id"], by_id["id"]}
    # Shown as the media's current signed URLs (stored URLs of our storage expire), outside ones as given.
    assert outfit["outfit_ref_imgs_urls"] == [MediaResource.objects.get(pk=mine["id"]).url,
                                              MediaResource.objects.get(pk=by_id["id"]).url,
                                              "https://cdn.example.com/r.png"]


# --- readers ---------------------------------------------------------------------------------------
def test_a_generation_reads_only_media_its_shooting_may_use(user, other_user):
    """Rows written before the references were checked: B's product names A's file by URL and by
    foreign key. B's generation must not render A's picture."""
    theirs = MediaResource.objects.get(pk=upload(user, (10, 200, 30))["id"])
    look = LookFactory(shooting=ShootingFactory(owner=other_user),
                       product=ProductFactory(owner=other_user, cover_image_url=theirs.url))
    shot = ShotFactory(shooting_look=look)
    assert build_request(Generation.objects.create(shot=shot)).product_images == []
    look.product.cover_image_url, look.product.cover_image_media = None, theirs
    look.product.save()
    assert build_request(Generation.objects.create(shot=shot)).product_images == []
    mine = MediaResource.objects.get(pk=upload(other_user)["id"])
    look.product.cover_image_media = mine
    look.product.save()
    assert build_request(Generation.objects.create(shot=shot)).product_images == [mine.file.read()]


def test_a_tenants_base_image_generation_does_not_rewrite_a_public_subject(user, superuser):
    public = SubjectFactory(owner=superuser, public=True)
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user), subject=public))
    generation = Generation.objects.create(shot=shot, kind="BASE_IMAGE", requested_by=user)
    assert generation_run(generation_id=generation.pk).state == "completed"
    assert not SubjectBaseImage.objects.filter(subject=public).exists()
    assert Prediction.objects.filter(generation=generation).exists()


def test_after_a_transfer_the_shootings_own_media_follow_it(user, org, django_capture_on_commit_callbacks):
    """For the shooting transfer (finding 5): downloads read only media of the shooting's
    audience, so the files the shooting's revisions hold move with it through the transfer; a file
    also used outside the shooting stops the transfer (shootings/transfer.py)."""
    from sartiq.accounts.tests.factories import MembershipFactory

    shot = own_shot(user, org)
    look = shot.shooting_look
    for thing in (look.product, look.subject, shot.shot_type):  # a catalog both organizations may use
        thing.public = True
        thing.save()
    revision = post_revision(user, shot, {"image_data": b64(png_bytes((20, 20)))}).json()
    client_for(user).post(f"/api/v1/shots/{shot.pk}/approve")
    target = MembershipFactory(user=user, role="OWNER").organization
    shooting = shot.shooting_look.shooting
    shared = upload(user, organization=org)
    client_for(user).post(f"/api/v1/products/?organization_id={org.pk}",
                          {"name": "P", "cover_image_media_id": shared["id"]}, format="json")
    other_shot = ShotFactory(shooting_look=shot.shooting_look, shot_type=shot.shot_type.__class__.objects.create(
        owner=user, name="Public angle", public=True))
    post_revision(user, other_shot, {"image_url": shared["url"]})
    refused = client_for(user).patch(f"/api/v1/shootings/{shooting.pk}", {"organization_id": str(target.pk)},
                                     format="json")
    assert refused.status_code == 400 and "also used outside this shooting" in refused.json()["detail"]
    client_for(user).delete(f"/api/v1/shots/{other_shot.pk}")
    moved = client_for(user).patch(f"/api/v1/shootings/{shooting.pk}", {"organization_id": str(target.pk)},
                                   format="json")
    assert moved.status_code == 200, moved.json()
    assert MediaResource.objects.get(pk=revision["images"][0]["image_media"]["id"]).organization_id == target.pk
    assert MediaResource.objects.get(pk=shared["id"]).organization_id == org.pk  # the product still uses it
    assert client_for(user).get(f"/api/v1/shots/{shot.pk}/download").status_code == 200


# --- an image given by media id alone shows the media's URL (issue #17: a class) ---------------------
def _first(body, *path):
    for key in path:
        body = body[key]
    return body


def media_id_bodies(user):
    """Every input that takes an image by media id, with where its URL is shown in the answer."""
    shot_type = ShotTypeFactory(owner=None, public=True)
    subject = SubjectFactory(owner=user)
    return {
        "product cover": ("/api/v1/products/", lambda m: {"name": "P", "cover_image_media_id": m}, ("cover_image_url",)),
        "product back": ("/api/v1/products/", lambda m: {"name": "P", "back_image_media_id": m}, ("back_image_url",)),
        "subject cover": ("/api/v1/subjects/", lambda m: {"name": "S", "gender": "FEMALE", "cover_image_media_id": m},
                          ("cover_image_url",)),
        "subject portrait": ("/api/v1/subjects/", lambda m: {"name": "S", "gender": "FEMALE",
                                                             "portrait_image_media_id": m}, ("portrait_image_url",)),
        "subject base image": ("/api/v1/subjects/", lambda m: {"name": "S", "gender": "FEMALE", "base_images": [
            {"shot_type_id": str(shot_type.pk), "image_media_id": m}]}, ("base_images", 0, "image_url")),
        "shot type reference": ("/api/v1/shot-types/", lambda m: {"name": "T", "reference_image_id": m},
                                ("reference_image_url",)),
        "pose image": ("/api/v1/pose-presets/", lambda m: {"name": "Pose", "shot_type_id": str(shot_type.pk),
                                                           "pose_image_media_id": m}, ("pose_image_url",)),
        "set base image": ("/api/v1/set-designs/", lambda m: {"name": "Set", "base_images": [
            {"shot_type_id": str(shot_type.pk), "subject_id": str(subject.pk), "image_media_id": m}]},
            ("base_images", 0, "image_url")),
        "set reference image": ("/api/v1/set-designs/", lambda m: {"name": "Set", "reference_images": [
            {"shot_type_id": str(shot_type.pk), "image_media_id": m}]}, ("reference_images", 0, "image_url")),
        "subject portrait of a set": ("/api/v1/set-designs/", lambda m: {"name": "Set", "subject_portraits": [
            {"subject_id": str(subject.pk), "image_media_id": m}]}, ("subject_portraits", 0, "image_url")),
    }


MEDIA_ID_INPUTS = ["product cover", "product back", "subject cover", "subject portrait", "subject base image",
                   "shot type reference", "pose image", "set base image", "set reference image",
                   "subject portrait of a set"]


@pytest.mark.parametrize("name", MEDIA_ID_INPUTS)
def test_an_image_given_by_media_id_alone_shows_the_medias_url(user, name):
    path, body, where = media_id_bodies(user)[name]
    media = upload(user)
    created = client_for(user).post(path, body(media["id"]), format="json")
    assert created.status_code == 200, created.json()
    url = MediaResource.objects.get(pk=media["id"]).url
    assert _first(created.json(), *where) == url
    assert _first(client_for(user).get(f"{path}{created.json()['id']}").json(), *where) == url


def test_every_media_id_input_is_covered():
    """A new `*_media_id` input field joins the table above."""
    from sartiq.catalog.api import requests as catalog_requests

    fields = {name for model in vars(catalog_requests).values() if isinstance(model, type)
              and hasattr(model, "model_fields") for name in model.model_fields
              if name.endswith("media_id") or name == "reference_image_id"}
    assert fields == {"cover_image_media_id", "back_image_media_id", "portrait_image_media_id", "image_media_id",
                      "reference_image_id", "pose_image_media_id"}


def test_a_base_image_needs_a_url_or_a_media_id(user):
    shot_type = ShotTypeFactory(owner=None, public=True)
    response = client_for(user).post("/api/v1/subjects/", {"name": "S", "gender": "FEMALE", "base_images": [
        {"shot_type_id": str(shot_type.pk)}]}, format="json")
    assert response.status_code == 422
    assert [(e["loc"], e["msg"]) for e in response.json()["detail"]] == [
        (["body", "base_images", 0], "Value error, A base image needs image_url or image_media_id")]
