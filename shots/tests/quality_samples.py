"""A labelled test set for the quality checks, drawn by the tests themselves (seeded).

A clean sample is a studio picture as an engine returns it: a figure (skin, hair, trousers, shoes)
wearing the product's garment, with folds and texture, on the background preset's colour with a
vignette and a floor, sensor noise, saved as JPEG or PNG at the size a generation renders for the
look; its packshot is the same garment flat on white with a soft shadow. Each defect is made from
a clean sample, as an engine gets it wrong:

- `colour`: the garment rendered in another colour, CIEDE2000 ΔE 15 to 30 from the product's
  (hue turned, chroma or lightness changed, or any direction);
- `blurred`: a Gaussian blur of σ 2 to 4 px (at a 512-px picture);
- `aspect`: rendered at another aspect ratio than the look asked (4:5, 2:3, 3:4, 1:1, 9:16);
- `background`: the backdrop in a colour ΔE 15 to 40 from the preset's;
- `duplicate`: the previous revision's picture again, re-encoded (JPEG quality 70-95), its
  brightness nudged and noise added;
- `exposure` (beyond the issue's list): over-exposed (gain 1.6-2.2), or under-exposed with its
  shadows crushed (gain 0.25-0.35, black level 40-60 of 255).

Every sample but a third of the clean ones has a previous revision: another rendering of the same
look (another pose, folds, framing), which must not count as a duplicate.

A third of the garments have two colours (a colour-blocked hem); a colour defect shifts one of them
or both. What the garment-colour measure needs is kept: nothing else in the picture (skin, hair,
trousers, shoes, backdrop) is within ΔE 20 of the product's colours; when something else shows the
product's colour, a shifted garment goes unnoticed (docs/quality.md, limits).
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

KINDS = ("clean", "colour", "blurred", "aspect", "background", "duplicate", "exposure")
RENDER_SIDE = 512  # the test's GENERATION_MAX_SIZE: what a generation renders
BLOCK = 0.45  # a two-colour garment: the share of its body, from the hem, in the second colour
ASPECTS = {"4:5": (4, 5), "2:3": (2, 3), "3:4": (3, 4), "1:1": (1, 1), "9:16": (9, 16)}
ASKED = {"4:5": [(800, 1000), (1600, 2000)], "2:3": [(1000, 1500), (600, 900)], "3:4": [(768, 1024), (1200, 1600)],
         "1:1": [(1024, 1024)], "9:16": [(1080, 1920)]}


def lab_rgb(lab) -> tuple[int, int, int]:
    with warnings.catch_warnings():  # out of the sRGB gamut: clipped, and the caller checks the result
        warnings.simplefilter("ignore")
        rgb = np.clip(lab2rgb(np.asarray(lab, float).reshape(1, 1, 3)), 0, 1)[0, 0]
    return tuple(int(round(v * 255)) for v in rgb)


def rgb_lab(rgb) -> np.ndarray:
    return rgb2lab(np.asarray(rgb, float).reshape(1, 1, 3) / 255.0)[0, 0]


def delta_e(rgb1, rgb2) -> float:
    return float(deltaE_ciede2000(rgb_lab(rgb1), rgb_lab(rgb2)))


def to_hex(rgb) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb)


@dataclass
class Look:
    """What stays the same between two renderings of a look: the asked size, the colours."""

    asked: tuple[int, int]
    background: tuple[int, int, int]
    garment: tuple[tuple[int, int, int], ...]  # one colour, or two (a colour-blocked hem)
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    trousers: tuple[int, int, int]
    shoes: tuple[int, int, int]
    sleeves: str  # "short" or "long"

    @property
    def canvas(self) -> tuple[int, int]:
        width, height = self.asked
        scale = min(1.0, RENDER_SIDE / max(width, height))
        return max(64, int(width * scale)), max(64, int(height * scale))


@dataclass
class Pose:
    """What changes between two renderings: position, scale, arms, folds, noise."""

    dx: float
    dy: float
    scale: float
    arm_left: float
    arm_right: float
    fold_period: float
    fold_phase: float
    noise_seed: int
    jpeg: int  # 0: PNG
    exposure: float = 1.0
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)
    vignette: float = 0.05


@dataclass
class Sample:
    kind: str
    image: bytes
    packshot: bytes
    asked: tuple[int, int]
    minimum: tuple[int, int]
    background: str
    previous: list[bytes] = field(default_factory=list)
    note: str = ""


def _random_colour(rng, lightness=(22, 80), chroma=(0, 70)) -> tuple[int, int, int]:
    while True:
        L = rng.uniform(*lightness)
        c, h = rng.uniform(*chroma), rng.uniform(0, 2 * math.pi)
        lab = (L, c * math.cos(h), c * math.sin(h))
        rgb = lab_rgb(lab)
        if float(deltaE_ciede2000(rgb_lab(rgb), np.asarray(lab))) < 2:  # within the gamut
            return rgb


class _Crowded(Exception):
    pass


def _look(rng) -> Look:
    for _ in range(100):
        try:
            return _try_look(rng)
        except _Crowded:  # a garment whose colour leaves no room for the others: draw another
            continue
    raise AssertionError("no look")


def _try_look(rng) -> Look:
    aspect = rng.choice(list(ASPECTS))
    asked = ASKED[aspect][rng.integers(len(ASKED[aspect]))]
    garment = [_random_colour(rng)]
    others = []

    def distinct(make, apart=6):
        for _ in range(50):
            colour = make()
            if all(delta_e(colour, g) >= 20 for g in garment) and all(delta_e(colour, o) >= apart for o in others):
                return colour
        raise _Crowded()

    if rng.random() < 1 / 3:
        garment.append(distinct(lambda: _random_colour(rng)))

    def other(make):
        colour = distinct(make)
        others.append(colour)
        return colour

    skin = other(lambda: lab_rgb((rng.uniform(35, 80), rng.uniform(8, 20), rng.uniform(12, 28))))
    hair = other(lambda: lab_rgb((rng.uniform(12, 70), rng.uniform(0, 12), rng.uniform(0, 30))))
    trousers = other(lambda: _random_colour(rng, (15, 75), (0, 50)))
    shoes = other(lambda: lab_rgb((rng.uniform(8, 30), rng.uniform(-3, 3), rng.uniform(-3, 5))))
    background = other(lambda: _random_colour(rng, (72, 97), (0, 14)))
    return Look(tuple(asked), background, tuple(garment), skin, hair, trousers, shoes,
                rng.choice(["short", "long"]))


def _pose(rng) -> Pose:
    return Pose(dx=rng.uniform(-0.15, 0.15), dy=rng.uniform(-0.03, 0.03), scale=rng.uniform(0.7, 0.98),
                arm_left=rng.uniform(-0.3, 0.6), arm_right=rng.uniform(-0.3, 0.6),
                fold_period=rng.uniform(0.03, 0.08), fold_phase=rng.uniform(0, 2 * math.pi),
                noise_seed=int(rng.integers(2**31)), jpeg=int(rng.choice([0, 88, 92, 95])),
                exposure=rng.uniform(0.94, 1.06), cast=tuple(rng.normal(1, 0.02, 3)),
                vignette=rng.uniform(0.02, 0.08))


def _other_pose(rng, first: Pose) -> Pose:
    """Another rendering's pose: the figure moved by 8% of the width or more, or rescaled by 10% or
    more (a figure that moved less, with nothing else changed, is the same picture)."""
    while True:
        pose = _pose(rng)
        if abs(pose.dx - first.dx) >= 0.08 or abs(pose.scale - first.scale) >= 0.1:
            return pose


def _mask(size, draw_on) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """A soft-edged shape (drawn at twice the size, reduced): its box and its alpha within it."""
    big = Image.new("L", (size[0] * 2, size[1] * 2), 0)
    draw_on(ImageDraw.Draw(big), 2.0)
    box = big.getbbox()
    if box is None:
        return None
    left, top, right, bottom = (box[0] // 2, box[1] // 2, (box[2] + 1) // 2, (box[3] + 1) // 2)
    alpha = big.crop((left * 2, top * 2, right * 2, bottom * 2)).resize((right - left, bottom - top),
                                                                        Image.Resampling.BOX)
    return (slice(top, bottom), slice(left, right)), np.asarray(alpha, float)[..., None] / 255.0


def _arm(draw, s, shoulder, angle, length, width, fill=255):
    x, y = shoulder
    ex, ey = x + math.sin(angle) * length, y + math.cos(angle) * length
    nx, ny = math.cos(angle) * width / 2, -math.sin(angle) * width / 2
    draw.polygon([((x - nx) * s, (y - ny) * s), ((x + nx) * s, (y + ny) * s), ((ex + nx) * s, (ey + ny) * s),
                  ((ex - nx) * s, (ey - ny) * s)], fill=fill)


def render(look: Look, pose: Pose, *, canvas=None, garment=None, backdrop=None) -> Image.Image:
    """The picture of `look` in `pose` (another canvas, garment or backdrop colour for defects)."""
    width, height = canvas or look.canvas
    rng = np.random.default_rng(pose.noise_seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    # The backdrop: the preset's colour, a vignette, a gentle gradient and a floor.
    base = np.asarray(backdrop or look.background, float)
    r2 = ((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2) / 0.5
    shade = (1 - pose.vignette * r2) * (1 + 0.015 * (0.5 - yy / height))
    shade = np.where(yy > height * 0.86, shade * 0.95, shade)
    picture = base[None, None, :] * shade[..., None]
    # The figure, sized to the shorter of the canvas's sides for its height.
    fh = min(height * 0.92, width * 2.1) * pose.scale
    cx = width / 2 + pose.dx * width
    top = height * 0.04 + pose.dy * height
    head_r = fh * 0.06
    shoulder_y, hip_y, ankle_y = top + fh * 0.17, top + fh * 0.52, top + fh * 0.95
    half = fh * 0.12

    # Light on the figure (brighter in the middle), the folds' pattern and the fabric's grain,
    # computed once; each layer blends only within its shape's box.
    shading = 1 - 0.12 * np.clip(np.abs(xx - cx) / (fh * 0.25), 0, 1)
    folded = shading * (1 + 0.07 * np.sin(2 * np.pi * xx / (fh * pose.fold_period) + pose.fold_phase
                                          + 0.6 * np.sin(yy / (fh * 0.1))))
    grain = rng.standard_normal((height, width))

    def layer(colour, draw_on, texture=0.0, folds=False):
        shape = _mask((width, height), draw_on)
        if shape is None:
            return
        box, alpha = shape
        light = (folded if folds else shading)[box]
        if texture:
            light = light * (1 + texture * grain[box])
        painted = np.clip(np.asarray(colour, float)[None, None, :] * light[..., None], 0, 255)
        picture[box] = picture[box] * (1 - alpha) + painted * alpha

    garment = garment or look.garment
    sleeve = fh * (0.36 if look.sleeves == "long" else 0.13)
    for side, angle in ((-1, pose.arm_left), (1, pose.arm_right)):
        shoulder = (cx + side * half * 0.92, shoulder_y + fh * 0.02)
        layer(look.skin, lambda d, s, sh=shoulder, a=angle * side: _arm(d, s, sh, a, fh * 0.38, fh * 0.055))
        layer(garment[0], lambda d, s, sh=shoulder, a=angle * side: _arm(d, s, sh, a, sleeve, fh * 0.07),
              texture=0.02, folds=True)
    layer(look.skin, lambda d, s: d.rectangle([(cx - fh * 0.025) * s, (top + head_r) * s, (cx + fh * 0.025) * s,
                                               (shoulder_y + 2) * s], fill=255))
    layer(look.skin, lambda d, s: d.ellipse([(cx - head_r * 0.8) * s, top * s, (cx + head_r * 0.8) * s,
                                             (top + head_r * 2) * s], fill=255))
    layer(look.hair, lambda d, s: d.chord([(cx - head_r * 0.85) * s, (top - head_r * 0.1) * s,
                                           (cx + head_r * 0.85) * s, (top + head_r * 1.4) * s], 180, 360, fill=255),
          texture=0.05)
    for side in (-1, 1):
        layer(look.trousers, lambda d, s, sd=side: d.polygon([
            ((cx + sd * fh * 0.005) * s, hip_y * s), ((cx + sd * half * 0.95) * s, hip_y * s),
            ((cx + sd * half * 0.6) * s, ankle_y * s), ((cx + sd * fh * 0.02) * s, ankle_y * s)], fill=255),
            texture=0.02, folds=True)
        layer(look.shoes, lambda d, s, sd=side: d.ellipse([
            (cx + sd * fh * 0.02 - (fh * 0.06 if sd < 0 else 0)) * s, (ankle_y - fh * 0.01) * s,
            (cx + sd * fh * 0.02 + (fh * 0.06 if sd > 0 else 0)) * s, (ankle_y + fh * 0.035) * s], fill=255))
    hem = hip_y + fh * 0.04
    layer(garment[0], lambda d, s: d.polygon([
        ((cx - half) * s, shoulder_y * s), ((cx + half) * s, shoulder_y * s),
        ((cx + half * 1.02) * s, hem * s), ((cx - half * 1.02) * s, hem * s)], fill=255), texture=0.02, folds=True)
    if len(garment) > 1:  # the colour block: the lower part of the body
        block = hem - (hem - shoulder_y) * BLOCK
        layer(garment[1], lambda d, s: d.polygon([
            ((cx - half * 1.01) * s, block * s), ((cx + half * 1.01) * s, block * s),
            ((cx + half * 1.02) * s, hem * s), ((cx - half * 1.02) * s, hem * s)], fill=255), texture=0.02,
            folds=True)
    # The light of this rendering: exposure and white balance vary a little between generations.
    picture = picture * (pose.exposure * np.asarray(pose.cast))[None, None, :]
    picture = picture + rng.normal(0, 1.6, picture.shape)
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.5))


def packshot(look: Look, rng) -> bytes:
    """The garment laid flat on white, with a soft shadow: the product's cover image."""
    size = (480, 480)
    yy, xx = np.mgrid[0:size[1], 0:size[0]].astype(float)
    w, h = size

    def shirt(d, s, dx=0.0, dy=0.0):
        sleeve = 0.25 if look.sleeves == "long" else 0.12
        d.polygon([((w * 0.32 + dx) * s, (h * 0.15 + dy) * s), ((w * 0.68 + dx) * s, (h * 0.15 + dy) * s),
                   ((w * (0.82 + sleeve * 0.4) + dx) * s, (h * (0.25 + sleeve) + dy) * s),
                   ((w * (0.74 + sleeve * 0.3) + dx) * s, (h * (0.31 + sleeve) + dy) * s),
                   ((w * 0.72 + dx) * s, (h * 0.3 + dy) * s), ((w * 0.72 + dx) * s, (h * 0.88 + dy) * s),
                   ((w * 0.28 + dx) * s, (h * 0.88 + dy) * s), ((w * 0.28 + dx) * s, (h * 0.3 + dy) * s),
                   ((w * (0.26 - sleeve * 0.3) + dx) * s, (h * (0.31 + sleeve) + dy) * s),
                   ((w * (0.18 - sleeve * 0.4) + dx) * s, (h * (0.25 + sleeve) + dy) * s)], fill=255)

    picture = np.full((size[1], size[0], 3), 255.0)
    box, shadow = _mask(size, lambda d, s: shirt(d, s, 6, 8))
    picture[box] = picture[box] * (1 - 0.12 * shadow)
    light = (1 + 0.04 * np.sin(2 * np.pi * xx / rng.uniform(25, 60)))
    light = light * (1 + 0.015 * rng.standard_normal((size[1], size[0])))
    box, garment = _mask(size, shirt)
    parts = [garment]
    if len(look.garment) > 1:  # the colour block: the lower part of the body
        block = h * (0.88 - (0.88 - 0.15) * BLOCK)
        lower = garment * (yy[box] >= block)[..., None]
        parts = [garment - lower, lower]
    for colour, alpha in zip(look.garment, parts):
        painted = np.clip(np.asarray(colour, float)[None, None, :] * light[box][..., None], 0, 255)
        picture[box] = picture[box] * (1 - alpha) + painted * alpha
    return encode(Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)), 92)


def encode(image: Image.Image, jpeg: int) -> bytes:
    buffer = io.BytesIO()
    if jpeg:
        image.save(buffer, format="JPEG", quality=jpeg)
    else:
        image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _moved(base: np.ndarray, how: str, amount: float, direction: np.ndarray) -> np.ndarray:
    """A CIELAB colour moved by `amount`: its hue turned (radians), its chroma or lightness changed,
    or along `direction`."""
    L, a, b = base
    chroma, hue = math.hypot(a, b), math.atan2(b, a)
    if how == "hue":
        return np.array([L, chroma * math.cos(hue + amount), chroma * math.sin(hue + amount)])
    if how == "chroma":
        chroma = max(0.0, chroma + amount)
        return np.array([L, chroma * math.cos(hue), chroma * math.sin(hue)])
    if how == "lightness":
        return np.array([L + amount, a, b])
    return base + amount * direction


def _shifted(rng, colour) -> tuple[tuple[int, int, int], float]:
    """`colour` moved ΔE 15-30 away in one of the ways an engine gets a colour wrong."""
    base = rgb_lab(colour)
    for _ in range(500):
        target = rng.uniform(15, 30)
        how = str(rng.choice(["hue", "chroma", "lightness", "any"]))
        if how == "hue" and math.hypot(base[1], base[2]) < 15:
            how = "any"
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        sign = rng.choice([-1, 1])
        low, high = 0.0, (math.pi if how == "hue" else 120.0)
        for _ in range(40):  # the amount giving the target ΔE (ΔE grows with the amount)
            mid = (low + high) / 2
            if float(deltaE_ciede2000(base, _moved(base, how, sign * mid, direction))) < target:
                low = mid
            else:
                high = mid
        rgb = lab_rgb(_moved(base, how, sign * high, direction))
        achieved = float(deltaE_ciede2000(base, rgb_lab(rgb)))
        if achieved >= 15:
            return rgb, achieved
    raise AssertionError("no shift found")


def make(kind: str, rng) -> Sample:
    """One labelled sample of `kind`."""
    look = _look(rng)
    first = _pose(rng)
    second = _other_pose(rng, first)
    clean = render(look, first)
    image, note = clean, ""
    previous = [encode(render(look, second), second.jpeg)]
    jpeg = first.jpeg
    if kind == "clean" and rng.random() < 1 / 3:
        previous = []
    elif kind == "colour":
        which = [0, 1, None][rng.integers(3)] if len(look.garment) > 1 else 0
        garment, notes = list(look.garment), []
        for index in range(len(garment)) if which is None else [which]:
            garment[index], achieved = _shifted(rng, look.garment[index])
            notes.append(f"colour {index + 1}: ΔE {achieved:.1f}")
        image, note = render(look, first, garment=tuple(garment)), ", ".join(notes)
    elif kind == "blurred":
        sigma = rng.uniform(2, 4)
        image, note = clean.filter(ImageFilter.GaussianBlur(sigma)), f"σ {sigma:.1f}"
    elif kind == "aspect":
        asked_ratio = look.asked[0] / look.asked[1]
        options = [name for name, (w, h) in ASPECTS.items() if abs((w / h) / asked_ratio - 1) > 0.04]
        name = options[rng.integers(len(options))]
        w, h = ASPECTS[name]
        side = RENDER_SIDE
        canvas = (side, int(side * h / w)) if w >= h else (int(side * w / h), side)
        image, note = render(look, first, canvas=canvas), f"{name} for {look.asked[0]}x{look.asked[1]}"
    elif kind == "background":
        for _ in range(500):
            wrong = _random_colour(rng, (40, 98), (0, 40))
            distance = delta_e(wrong, look.background)
            if 15 <= distance <= 40 and all(delta_e(wrong, g) >= 20 for g in look.garment):
                break
        image, note = render(look, first, backdrop=wrong), f"ΔE {distance:.1f}"
    elif kind == "duplicate":
        earlier = render(look, first)
        previous = [encode(earlier, first.jpeg)]
        array = np.asarray(earlier, float) * rng.uniform(0.97, 1.03) + rng.normal(0, 1.5, (*earlier.size[::-1], 3))
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
        jpeg = int(rng.integers(70, 96))
        note = f"JPEG {jpeg}"
    elif kind == "exposure":
        array = np.asarray(clean, float)
        if rng.random() < 0.5:
            gain = rng.uniform(1.6, 2.2)
            array, note = array * gain, f"over-exposed: gain {gain:.2f}"
        else:
            gain, black = rng.uniform(0.25, 0.35), rng.uniform(40, 60)
            array, note = array * gain - black, f"under-exposed: gain {gain:.2f}, black level {black:.0f}"
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    return Sample(kind=kind, image=encode(image, jpeg), packshot=packshot(look, rng), asked=look.asked,
                  minimum=look.canvas, background=to_hex(look.background), previous=previous, note=note)


def labelled_set(per_kind: int, seed: int = 16) -> list[Sample]:
    rng = np.random.default_rng(seed)
    return [make(kind, rng) for kind in KINDS for _ in range(per_kind)]

