"""The local engine: renders a real image with Pillow from the subject's base image, the products'
images and the set design, so the whole flow works offline (the default, for `make run` and tests).
"""
from __future__ import annotations

import io
import random
import textwrap
import time

from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter

from sartiq.media.images import DECODE_ERRORS, ImageRefused, open_bounded
from shots.providers.base import GeneratedImage, GenerationRequest, Progress


class LocalImageProvider:
    """Composes a picture from the inputs: the subject, the products on the torso, the set."""

    name = "local"

    def generate(self, request: GenerationRequest, progress: Progress) -> list[GeneratedImage]:
        outputs = []
        for index in range(request.count):
            delay = settings.LOCAL_PROVIDER_DELAY_SECONDS
            for step in range(1, 5):
                if delay:
                    time.sleep(delay / 4)
                progress(int(100 * (index + step / 4) / (request.count + 1)))
            seed = request.seed + index
            outputs.append(GeneratedImage(self._render(request, seed), seed))
        return outputs

    def _render(self, request: GenerationRequest, seed: int) -> bytes:
        rng = random.Random(seed)
        width, height = request.width, request.height
        background = _hex(request.background) or (236, 233, 228)
        canvas = Image.new("RGB", (width, height), background)
        for reference in request.reference_images[:1]:
            backdrop = _open(reference)
            if backdrop is not None:
                canvas = backdrop.convert("RGB").resize((width, height)).filter(ImageFilter.GaussianBlur(6))
        subject = _open(request.base_image) if request.base_image else None
        if subject is not None:
            subject = subject.convert("RGBA")
            subject.thumbnail((int(width * 0.8), int(height * 0.9)))
            box = ((width - subject.width) // 2, height - subject.height, subject.width, subject.height)
            canvas.paste(subject, box[:2], subject)
        else:
            box = (width // 3, height // 10, width // 3, int(height * 0.85))
            ImageDraw.Draw(canvas).rectangle([box[0], box[1], box[0] + box[2], box[1] + box[3]], fill=(150, 120, 100))
        # Garments on the figure: the main product on the torso, then legs, then feet.
        x0, y0, figure_w, figure_h = box
        for index, product in enumerate(request.product_images[:3]):
            garment = _open(product)
            if garment is None:
                continue
            garment = _cut_out(garment)
            garment.thumbnail((int(figure_w * (0.6 - 0.1 * index)), int(figure_h * 0.28)))
            centre_y = y0 + figure_h * (0.35, 0.62, 0.93)[index]
            x = x0 + (figure_w - garment.width) // 2 + rng.randint(-3, 3)
            y = int(centre_y - garment.height / 2)
            canvas.paste(garment, (x, max(0, min(y, height - garment.height))), garment)
        draw = ImageDraw.Draw(canvas)
        caption = textwrap.shorten(request.prompt, width=max(20, width // 7))
        draw.rectangle([0, height - 22, width, height], fill=(255, 255, 255))
        draw.text((6, height - 18), caption, fill=(30, 30, 30))
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        return buffer.getvalue()


def _cut_out(image: Image.Image) -> Image.Image:
    """A product photo on white, with the white made transparent (packshots are shot on white)."""
    image = image.convert("RGBA")
    mask = image.convert("L").point(lambda v: 0 if v > 240 else 255)
    image.putalpha(mask)
    return image.crop(mask.getbbox()) if mask.getbbox() else image


def _open(data: bytes | None) -> Image.Image | None:
    """An input image, decoded only if its header shows a bounded still image; else left out."""
    if not data:
        return None
    try:
        image = open_bounded(data)
        image.load()
        return image
    except (ImageRefused, *DECODE_ERRORS):
        return None


def _hex(value: str | None):
    if value and len(value) == 7 and value.startswith("#"):
        try:
            return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return None
    return None
