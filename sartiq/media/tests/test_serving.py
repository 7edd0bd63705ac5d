"""Video validation and local media serving (issue #10, finding 9): every accepted type is
recognized from the bytes and stored with the server's content type; local files are served only
through signed, expiring URLs, never sniffed, and as attachments unless they are images."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import client_for
from sartiq.media.models import MediaResource
from sartiq.media.services import storage_key_of
from sartiq.media.tests.factories import png_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/media-resources/"

MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" + b"\x00" * 64
QUICKTIME = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00\x00\x00\x08wide" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>"


def upload(api, data: bytes, content_type: str, name="clip.mp4"):
    return api.post(URL, {"file": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


@pytest.mark.parametrize("data, claimed, stored", [
    (MP4, "video/mp4", ("video/mp4", "mp4")),
    (QUICKTIME, "video/quicktime", ("video/quicktime", "mov")),
    (WEBM, "video/webm", ("video/webm", "webm")),
    (MP4, "video/webm", ("video/mp4", "mp4")),  # the server's type, not the client's claim
], ids=["mp4", "quicktime", "webm", "mp4 claimed as webm"])
def test_videos_are_recognized_from_their_bytes(api, data, claimed, stored):
    response = upload(api, data, claimed)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["resource_type"], body["extension"]) == ("VIDEO", stored[1])
    assert MediaResource.objects.get(pk=body["id"]).content_type == stored[0]


@pytest.mark.parametrize("data, claimed, message", [
    (HTML, "video/mp4", "File is not a valid video (MP4, QuickTime or WebM)"),
    (HTML, "video/webm", "File is not a valid video (MP4, QuickTime or WebM)"),
    (b"RIFF\x24\x00\x00\x00AVI LIST" + b"\x00" * 64, "video/x-msvideo",
     "File is not a valid video (MP4, QuickTime or WebM)"),
    (HTML, "text/html", "File is not a valid image"),
], ids=["html as mp4", "html as webm", "other container", "html"])
def test_anything_else_is_refused(api, data, claimed, message):
    response = upload(api, data, claimed)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == f"Value error, {message}"
    assert not MediaResource.objects.exists()


def test_revision_images_are_images_only(api, user):
    import base64

    from shootings.tests.factories import ShootingFactory, ShotFactory

    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    response = api.post(f"/api/v1/shots/{shot.pk}/revision", {"shot_status": "PROPOSAL", "images": [
        {"image_data": base64.b64encode(MP4).decode()}]}, format="json")
    assert response.status_code == 422 and not MediaResource.objects.exists()


# --- serving ---------------------------------------------------------------------------------------
def fetch(url: str, method="get"):
    return getattr(client_for(), method)(url)  # no credentials: the signed URL is the key


def test_an_image_url_works_without_credentials_and_is_never_sniffed(api):
    body = upload(api, png_bytes((9, 9)), "image/png", "a.png").json()
    assert re.fullmatch(r"/media/uploads/[^?]+\.png\?e=\d+&s=[\w-]+", body["url"])
    response = fetch(body["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes((9, 9))
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"] and "default-src 'none'" in response["Content-Security-Policy"]
    assert fetch(body["url"], "head").status_code == 200
    assert storage_key_of(body["url"]) == MediaResource.objects.get().file.name


def test_a_video_is_served_as_an_attachment_of_its_stored_type(api):
    body = upload(api, MP4, "video/mp4").json()
    response = fetch(body["url"])
    assert response.status_code == 200
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("video/mp4", "nosniff")
    assert response["Content-Disposition"].startswith("attachment")


def test_unsigned_tampered_and_expired_urls_are_refused(api, settings):
    body = upload(api, png_bytes(), "image/png", "a.png").json()
    path = urlparse(body["url"]).path
    query = parse_qs(urlparse(body["url"]).query)
    assert fetch(path).status_code == 403  # the old, unsigned form
    assert fetch(f"{path}?e={query['e'][0]}&s={query['s'][0][:-2]}xx").status_code == 403
    assert fetch(f"{path}?e={int(query['e'][0]) + 900}&s={query['s'][0]}").status_code == 403  # longer life
    other = upload(api, png_bytes((3, 3)), "image/png", "b.png").json()
    assert fetch(f"{path}?{urlparse(other['url']).query}").status_code == 403  # another file's signature
    settings.MEDIA_URL_EXPIRES_SECONDS, settings.MEDIA_URL_BUCKET_SECONDS = -7200, 1
    expired = MediaResource.objects.get(pk=body["id"]).url
    response = fetch(expired)
    assert (response.status_code, response.json()) == (403, {"detail": "Media URL is invalid or expired"})


def test_only_media_resources_are_served(settings):
    name = default_storage.save("uploads/shots/x/pending.png", ContentFile(png_bytes()))
    assert fetch(default_storage.url(name)).status_code == 404  # a signed URL, but no media resource


def test_urls_are_stable_within_a_time_bucket(api, settings):
    settings.MEDIA_URL_BUCKET_SECONDS = 3600
    media = MediaResource.objects.get(pk=upload(api, png_bytes(), "image/png", "a.png").json()["id"])
    first, second = media.url, media.url
    expires = int(parse_qs(urlparse(first).query)["e"][0])
    assert first == second and expires % 3600 == 0


def test_admin_thumbnails_are_signed_urls_that_load(client, superuser, api):
    upload(api, png_bytes((5, 5)), "image/png", "a.png")
    client.force_login(superuser)
    html = client.get("/admin/media/mediaresource/").content.decode()
    sources = re.findall(r'<img src="(/media/[^"]+)"', html)
    assert sources, html
    response = client_for().get(sources[0].replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
