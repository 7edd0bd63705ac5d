import hashlib
import io

import factory
from django.core.files.base import ContentFile
from PIL import Image

from sartiq.accounts.tests.factories import UserFactory
from sartiq.media.models import MediaResource


def png_bytes(size=(8, 8), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


class MediaResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaResource

    owner = factory.SubFactory(UserFactory)
    file = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="image.png"))
    content_hash = factory.LazyAttribute(lambda o: hashlib.sha256(png_bytes()).hexdigest())
    extension = "png"
    content_type = "image/png"
    file_size = factory.LazyFunction(lambda: len(png_bytes()))
    width = 8
    height = 8
