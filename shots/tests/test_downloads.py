"""Downloads in the user's export configuration, read back with Pillow."""
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, IptcImagePlugin

from conftest import client_for
from integrations.models import ExternalIntegration, ExternalProductMapping
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.exporting import TRAINED_ALGORITHMIC_MEDIA

pytestmark = pytest.mark.django_db
FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp"), "AVIF": ("AVIF", "avif")}


def make_shot(user, source_type="PREDICTION", data=None):
    look = LookFactory(shooting=ShootingFactory(owner=user), product__name="Linen Shirt", product__sku="LS-100",
                       product__brand="Acme", product__style_code="LS100", product__colour="BLU",
                       product__description="A linen shirt")
    shot = ShotFactory(shooting_look=look, shot_type__name="Front", shot_type__view_angle="FRONT")
    revision = add_revision(shot, "APPROVED")
    image = revision.images.first()
    image.source_type = source_type
    name = default_storage.save("r/source.png", ContentFile(data if data is not None else png_bytes((40, 50))))
    image.image_media = MediaResource.objects.create(owner=user, file=name, content_hash="0", extension="png",
                                                     file_size=1)
    image.save()
    return shot


def configure(user, **values):
    response = client_for(user).put("/api/v1/export-configuration", values, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def filename(response):
    return re.search(r'attachment; filename="([^"]+)"', response["Content-Disposition"]).group(1)


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("adapter", ["DEFAULT", "OVS"])
def test_download_round_trip(user, export_format, adapter):
    shot = make_shot(user)
    configure(user, format=export_format, adapter=adapter, copyright="(c) 2026 Acme", quality=85)
    response = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
    assert response.status_code == 200
    pil_format, extension = FORMATS[export_format]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == pil_format and image.size == (40, 50)
    assert response["Content-Type"] == f"image/{'jpeg' if export_format == 'JPEG' else extension}"
    exif = image.getexif()
    assert exif[0x010E] == "Linen Shirt - Front"  # ImageDescription: the title
    assert exif[0x8298] == "(c) 2026 Acme"  # Copyright
    xmp = image.info["xmp"].decode()
    assert TRAINED_ALGORITHMIC_MEDIA in xmp  # a generated image says so
    assert 'sartiq:SKU="LS-100"' in xmp and 'sartiq:ShotType="Front"' in xmp and "Linen Shirt - Front" in xmp
    if export_format == "JPEG":
        iptc = IptcImagePlugin.getiptcinfo(image)
        assert iptc[(2, 5)] == b"Linen Shirt - Front"  # object name
        assert iptc[(2, 116)] == b"(c) 2026 Acme"
        assert iptc[(2, 120)] == b"A linen shirt"
    name = filename(response)
    if adapter == "DEFAULT":
        assert name == f"linen-shirt_LS-100_front_v1.{extension}"
    else:
        assert name == f"LS100_BLU_01.{extension}"


def test_ovs_names_files_from_the_product_mapping(user):
    shot = make_shot(user)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS", integration_type="OVS")
    ExternalProductMapping.objects.create(product=shot.shooting_look.product, integration=integration,
                                          style_code="OV123", colour_code="0451")
    shot.shot_type.file_naming_convention = "F"
    shot.shot_type.save()
    configure(user, adapter="OVS")
    assert filename(client_for(user).get(f"/api/v1/shots/{shot.pk}/download")) == "OV123_0451_F.jpg"


def test_uploaded_images_are_not_marked_generated(user):
    shot = make_shot(user, source_type="UPLOAD")
    response = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
    image = Image.open(io.BytesIO(response.content))
    assert TRAINED_ALGORITHMIC_MEDIA not in image.info["xmp"].decode()


def test_the_default_configuration_is_jpeg_with_the_default_adapter(user):
    assert client_for(user).get("/api/v1/export-configuration").json() == {
        "format": "JPEG", "quality": 90, "adapter": "DEFAULT", "copyright": None}
    shot = make_shot(user)
    response = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
    assert response["Content-Type"] == "image/jpeg" and filename(response).endswith(".jpg")


@pytest.mark.parametrize("body", [{"format": "GIF"}, {"quality": 0}, {"quality": 101}, {"adapter": "AMAZON"}])
def test_export_configuration_bad_input(user, body):
    response = client_for(user).put("/api/v1/export-configuration", body, format="json")
    assert response.status_code == 422
    assert client_for(user).get("/api/v1/export-configuration").json()["format"] == "JPEG"


def test_download_errors(user, other_user, settings):
    empty = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    response = client_for(user).get(f"/api/v1/shots/{empty.pk}/download")
    assert (response.status_code, response.json()) == (400, {"detail": "The shot has no current revision"})
    without_image = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    add_revision(without_image, "APPROVED", images=0)
    assert client_for(user).get(f"/api/v1/shots/{without_image.pk}/download").json() == {
        "detail": "The current revision has no image"}
    corrupt = make_shot(user, data=b"\x89PNG\r\n\x1a\n garbage")
    assert client_for(user).get(f"/api/v1/shots/{corrupt.pk}/download").json() == {
        "detail": "Image could not be processed"}
    large = make_shot(user, data=png_bytes((120, 120)))
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = 5000
    try:
        response = client_for(user).get(f"/api/v1/shots/{large.pk}/download")
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    assert (response.status_code, response.json()) == (400, {"detail": "Image is too large to process"})
    assert client_for(other_user).get(f"/api/v1/shots/{large.pk}/download").status_code == 403


# --- file names come from client data: they never add a header parameter (issue 10, finding 13) ---
HOSTILE_SKUS = [
    'X";filename*=UTF-8\'\'evil.html;x="',
    "LS-100\r\nSet-Cookie: a=b",
    "../../etc/passwd",
    "a\\b\"c;d=e",
]


def disposition_params(header: str) -> list[str]:
    """The parameter names of a Content-Disposition value, parsed as RFC 6266 does (quoted strings
    may contain `;`)."""
    names, rest = [], header.split(";", 1)[1]
    for match in re.finditer(r'\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)\s*(;|$)', rest):
        names.append(match.group(1).lower())
    return names


@pytest.mark.parametrize("sku", HOSTILE_SKUS)
@pytest.mark.parametrize("adapter", ["DEFAULT", "OVS"])
def test_download_names_from_hostile_skus_stay_one_safe_parameter(user, sku, adapter):
    shot = make_shot(user)
    product = shot.shooting_look.product
    product.sku, product.style_code = sku, None
    product.save()
    configure(user, adapter=adapter)
    response = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert disposition_params(header) == ["filename"], header
    name = filename(response)
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.jpg", name), name


def test_download_names_keep_non_ascii_letters_with_rfc6266_encoding(user):
    shot = make_shot(user)
    product = shot.shooting_look.product
    product.sku = "ÉTÉ-24"
    product.save()
    response = client_for(user).get(f"/api/v1/shots/{shot.pk}/download")
    header = response["Content-Disposition"]
    assert disposition_params(header) == ["filename", "filename*"], header
    assert 'filename="linen-shirt_ETE-24_front_v1.jpg"' in header
    assert "filename*=UTF-8''linen-shirt_%C3%89T%C3%89-24_front_v1.jpg" in header
