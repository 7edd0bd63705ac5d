"""A small demo catalog with real images drawn by Pillow, for `make run` and the benchmark."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

from sartiq.media.services import media_create_from_bytes


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def figure_image(label: str, colour: tuple[int, int, int], view: str = "FRONT", size=(480, 640)) -> bytes:
    """A standing figure on a light backdrop: a subject's base image."""
    image = Image.new("RGB", size, (236, 233, 228))
    draw = ImageDraw.Draw(image)
    w, h = size
    cx = w // 2
    draw.ellipse([cx - 40, 60, cx + 40, 150], fill=colour)  # head
    draw.rectangle([cx - 70, 160, cx + 70, 380], fill=colour)  # torso
    draw.rectangle([cx - 65, 380, cx - 10, 590], fill=colour)  # legs
    draw.rectangle([cx + 10, 380, cx + 65, 590], fill=colour)
    if view == "BACK":
        draw.rectangle([cx - 40, 60, cx + 40, 110], fill=(60, 45, 35))  # hair seen from behind
    draw.text((16, h - 36), f"{label} - {view}", fill=(40, 40, 40))
    return _png(image)


def garment_image(label: str, colour: tuple[int, int, int], size=(480, 480)) -> bytes:
    """A flat garment on white: a product's cover image."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.polygon([(w * 0.3, h * 0.2), (w * 0.7, h * 0.2), (w * 0.85, h * 0.35), (w * 0.75, h * 0.42),
                  (w * 0.72, h * 0.85), (w * 0.28, h * 0.85), (w * 0.25, h * 0.42), (w * 0.15, h * 0.35)],
                 fill=colour)
    draw.text((16, h - 30), label, fill=(30, 30, 30))
    return _png(image)


def store(owner, organization_id, data: bytes, alt_text: str):
    return media_create_from_bytes(owner=owner, organization_id=organization_id, data=data, alt_text=alt_text)
