import functools
import hashlib
import io
import struct
import zlib

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


@functools.lru_cache(maxsize=4)
def png_bomb(width: int = 13000, height: int = 13000) -> bytes:
    """A real PNG of width x height black pixels (RGB) in a few hundred KiB: 13000x13000 is
    ~480 KiB of file and ~500 MB once decoded. Built row by row, so the test never holds it decoded."""
    row = b"\x00" * (1 + 3 * width)  # filter byte + pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 100) for _ in range(height // 100))
    idat += compressor.compress(row * (height % 100)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
