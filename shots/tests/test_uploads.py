"""Direct uploads of revision images: local signed URLs, and S3 presigned PUTs against a real
S3-compatible server (moto's, started by the test)."""
import hashlib
import io
from datetime import timedelta
from urllib.parse import urlparse

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from conftest import client_for
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def upload_url(client, shot, filename="front.png", content_type="image/png"):
    return client.get(f"/api/v1/shots/revisions/upload-url?filename={filename}&content_type={content_type}"
                      f"&shot_id={shot.pk}")


def local_put(client, target, data, content_type="image/png"):
    return client.generic("PUT", urlparse(target["upload_url"]).path, data, content_type=content_type)


def jpeg_bytes(size=(24, 24)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 10, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_local_upload_flow_end_to_end(user, shot, django_capture_on_commit_callbacks):
    client = client_for(user)
    target = upload_url(client, shot).json()
    assert target["method"] == "PUT" and target["headers"] == {"Content-Type": "image/png"}
    assert target["key"].startswith(f"uploads/shots/{shot.pk}/") and target["key"].endswith("front.png")
    assert local_put(client_for(), target, png_bytes((50, 60))).status_code == 200  # no bearer: the URL is the key
    assert default_storage.exists(target["key"])
    with django_capture_on_commit_callbacks(execute=True):
        revision = client.post(f"/api/v1/shots/{shot.pk}/revision", {
            "shot_status": "PROPOSAL", "images": [{"source_type": "UPLOAD", "image_url": target["image_url"]}],
        }, format="json").json()
    image = revision["images"][0]
    assert (image["image_media"]["width"], image["image_media"]["height"]) == (50, 60)
    # Registration copied the bytes to a fresh key of the media and removed the upload object:
    # the revision shows the media's URL, which no upload URL can write to.
    media = MediaResource.objects.get()
    assert media.file.name != target["key"] and not default_storage.exists(target["key"])
    assert image["image_url"] == image["image_media"]["url"] == media.url


@pytest.mark.parametrize(
    "query, loc",
    [("filename=a.pdf&content_type=application/pdf&shot_id={shot}", ["query", "content_type"]),
     ("content_type=image/png&shot_id={shot}", ["query", "filename"]),
     ("filename=a.png&shot_id=nope", ["query", "shot_id"])],
    ids=["not an image type", "no file name", "malformed shot id"],
)
def test_upload_url_bad_input(user, shot, query, loc):
    response = client_for(user).get("/api/v1/shots/revisions/upload-url?" + query.format(shot=shot.pk))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_upload_url_needs_access_to_the_shot(other_user, shot):
    assert upload_url(client_for(other_user), shot).status_code == 403


def test_local_upload_refusals(user, shot, settings):
    client = client_for(user)
    target = upload_url(client, shot).json()
    wrong_type = local_put(client, target, png_bytes(), content_type="image/jpeg")
    assert wrong_type.status_code == 422
    not_image = local_put(client, target, b"%PDF-1.4 hello")
    assert (not_image.status_code, not_image.json()["detail"][0]["msg"]) == (422, "Value error, File is not a valid image")
    tampered = client.generic("PUT", urlparse(target["upload_url"]).path[:-3] + "xyz/", png_bytes(),
                              content_type="image/png")
    assert tampered.status_code == 404
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    assert local_put(client, target, png_bytes((64, 64), (1, 2, 3)) + b"\0" * 200).status_code == 422
    settings.MEDIA_MAX_UPLOAD_BYTES = 10 ** 7
    settings.UPLOAD_URL_EXPIRES_SECONDS = -1  # every token is now expired
    expired = local_put(client, target, png_bytes())
    assert (expired.status_code, expired.json()) == (404, {"detail": "Upload URL not found or expired"})
    assert not default_storage.exists(target["key"])


def test_an_upload_of_another_shot_cannot_be_used(user, shot):
    client = client_for(user)
    other = ShotFactory(shooting_look=shot.shooting_look)
    target = upload_url(client, other).json()
    local_put(client, target, png_bytes())
    response = client.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "PROPOSAL", "images": [{"image_url": target["image_url"]}]}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Value error, image_url was not uploaded for this shot"
    assert not ShotRevision.objects.exists()


# --- S3 / MinIO -----------------------------------------------------------------------------------
@pytest.fixture
def s3(settings):
    """The default storage switched to S3 on a local S3-compatible server."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="sartiq-test")
    settings.AWS_STORAGE_BUCKET_NAME = "sartiq-test"
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.AWS_ACCESS_KEY_ID = "test"
    settings.AWS_SECRET_ACCESS_KEY = "test"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    yield endpoint
    server.stop()


def test_s3_presigned_upload_flow_end_to_end(user, shot, s3):
    client = client_for(user)
    target = upload_url(client, shot, "look 1.jpg", "image/jpeg").json()
    assert target["upload_url"].startswith(f"{s3}/sartiq-test/uploads/shots/{shot.pk}/")
    assert "X-Amz-Signature=" in target["upload_url"]
    put = httpx.put(target["upload_url"], content=jpeg_bytes((40, 30)), headers=target["headers"])
    assert put.status_code == 200
    revision = client.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "PROPOSAL", "images": [{"image_url": target["image_url"]}]}, format="json")
    assert revision.status_code == 200, revision.json()
    image = revision.json()["images"][0]
    assert (image["image_media"]["width"], image["image_media"]["extension"]) == (40, "jpg")
    # The stored image is served through signed URLs of the bucket.
    fetched = httpx.get(image["effective_image_url"])
    assert fetched.status_code == 200 and fetched.content[:2] == b"\xff\xd8"
    # And the download renders it from the bucket.
    download = client.get(f"/api/v1/shots/{shot.pk}/download")
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"


def test_s3_upload_of_a_non_image_is_refused_and_removed(user, shot, s3):
    client = client_for(user)
    target = upload_url(client, shot, "fake.jpg", "image/jpeg").json()
    httpx.put(target["upload_url"], content=b"GIF89a no", headers=target["headers"])
    response = client.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "PROPOSAL", "images": [{"image_url": target["image_url"]}]}, format="json")
    assert response.status_code == 422
    assert not ShotRevision.objects.exists() and not MediaResource.objects.exists()


# --- single use (issue #10, finding 7) -------------------------------------------------------------
def register(client, shot, target):
    return client.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "PROPOSAL", "images": [{"image_url": target["image_url"]}]}, format="json")


def test_a_local_upload_url_takes_one_put_and_a_registered_image_never_changes(
        user, shot, django_capture_on_commit_callbacks):
    client = client_for(user)
    target = upload_url(client, shot).json()
    assert local_put(client_for(), target, png_bytes((50, 60), (1, 2, 3))).status_code == 200
    second = local_put(client_for(), target, png_bytes((50, 60), (250, 0, 0)))
    assert (second.status_code, second.json()) == (409, {"detail": "Upload URL was already used"})
    with django_capture_on_commit_callbacks(execute=True):
        revision = register(client, shot, target).json()
    assert client.post(f"/api/v1/shots/{shot.pk}/approve").json()["status"] == "APPROVED"
    media = MediaResource.objects.get(pk=revision["images"][0]["image_media"]["id"])
    approved = media.file.open("rb").read()
    # The URL again, after registration and approval: refused, and the approved file is untouched.
    third = local_put(client_for(), target, png_bytes((50, 60), (0, 0, 250)))
    assert third.status_code == 409
    media.refresh_from_db()
    assert media.file.open("rb").read() == approved
    assert hashlib.sha256(approved).hexdigest() == media.content_hash
    again = register(client, shot, target)
    assert again.status_code == 422
    assert again.json()["detail"][0]["msg"] == "Value error, image_url was already registered: an upload URL is used once"


def test_a_second_s3_put_after_registration_only_writes_an_orphan(user, shot, s3, django_capture_on_commit_callbacks):
    client = client_for(user)
    target = upload_url(client, shot, "a.jpg", "image/jpeg").json()
    assert httpx.put(target["upload_url"], content=jpeg_bytes((40, 30)), headers=target["headers"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        revision = register(client, shot, target)
    assert revision.status_code == 200, revision.json()
    client.post(f"/api/v1/shots/{shot.pk}/approve")
    media = MediaResource.objects.get(pk=revision.json()["images"][0]["image_media"]["id"])
    assert media.file.name != target["key"] and not default_storage.exists(target["key"])
    approved = default_storage.open(media.file.name, "rb").read()
    # S3 cannot make a presigned PUT single-use: it writes the upload key again, which nothing uses.
    assert httpx.put(target["upload_url"], content=jpeg_bytes((80, 10)), headers=target["headers"]).status_code == 200
    assert default_storage.open(media.file.name, "rb").read() == approved
    assert hashlib.sha256(approved).hexdigest() == media.content_hash
    assert httpx.get(client.get(f"/api/v1/shots/{shot.pk}").json()["revisions"][0]["effective_image_url"]
                     ).content == approved
    assert register(client, shot, target).status_code == 422


def test_expired_unregistered_uploads_are_swept(user, shot, settings):
    from shots.models import DirectUpload
    from shots.tasks import sweep_uploads

    client = client_for(user)
    kept, stale = upload_url(client, shot).json(), upload_url(client, shot).json()
    local_put(client, kept, png_bytes())
    local_put(client, stale, png_bytes())
    DirectUpload.objects.filter(key=stale["key"]).update(expires_at=timezone.now() - timedelta(hours=2))
    assert sweep_uploads.apply().get() == 1
    assert default_storage.exists(kept["key"]) and not default_storage.exists(stale["key"])
    assert list(DirectUpload.objects.values_list("key", flat=True)) == [kept["key"]]
