"""The quality checks one by one, and the revision's status from them (shots/quality; no database)."""
import io

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from sartiq.catalog.quality import DEFAULTS, THRESHOLDS, effective_thresholds
from shots.quality import Context, QualityImage, assess, packshot_colours, packshot_colours_of, status_of
from shots.quality.checks import background, duplicate, exposure, garment_colour, sharpness, size
from shots.tests import quality_samples as samples

RED, ORANGE, NAVY = (200, 30, 40), (235, 120, 30), (25, 35, 80)


def studio(shirt=RED, *, backdrop=(236, 233, 228), size=(400, 500), trousers=NAVY, blur=0.0) -> QualityImage:
    """A figure in a shirt on a plain backdrop, drawn with hard edges and some texture."""
    image = Image.new("RGB", size, backdrop)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse([w * 0.44, h * 0.05, w * 0.56, h * 0.17], fill=(200, 160, 130))
    draw.rectangle([w * 0.35, h * 0.18, w * 0.65, h * 0.5], fill=shirt)
    for x in range(int(w * 0.36), int(w * 0.64), 6):  # folds
        draw.line([x, h * 0.2, x + 3, h * 0.48], fill=tuple(int(c * 0.85) for c in shirt), width=2)
    draw.rectangle([w * 0.38, h * 0.5, w * 0.62, h * 0.92], fill=trousers)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return QualityImage(image)


def flat(colour, size=(300, 300)) -> Image.Image:
    """A packshot: the garment's colour on white."""
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).rectangle([60, 40, 240, 260], fill=colour)
    return image


# --- garment colour ------------------------------------------------------------------------------------
def test_the_packshots_colours_leave_out_the_white_background_and_merge_shades():
    (colour,) = packshot_colours(flat(RED))
    assert colour.weight > 0.95 and colour.hex == "#c81e28"  # the rest: edges blended with the white
    two_tone = flat(RED)
    ImageDraw.Draw(two_tone).rectangle([60, 180, 240, 260], fill=NAVY)
    assert [c.hex for c in packshot_colours(two_tone)] == ["#c81e28", "#192350"]
    shaded = flat(RED)
    ImageDraw.Draw(shaded).rectangle([60, 40, 150, 260], fill=(180, 27, 36))  # the same red in shadow
    assert len(packshot_colours(shaded)) == 1
    assert packshot_colours(Image.new("RGB", (100, 100), (255, 255, 255))) == []  # a white shirt on white
    transparent = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(transparent).rectangle([20, 20, 80, 80], fill=(*NAVY, 255))
    assert [c.hex for c in packshot_colours(transparent)] == ["#192350"]


def test_a_red_shirt_rendered_orange_fails_and_a_red_one_passes():
    garment = packshot_colours(flat(RED))
    context = Context(garment=garment)
    good, bad = garment_colour(studio(RED), context), garment_colour(studio(ORANGE), context)
    assert good["passed"] and good["score"] < 3 and good["threshold"] == DEFAULTS["garment_colour"] == 8
    assert not bad["passed"] and bad["score"] > 15
    assert bad["detail"].startswith("#c81e28 (98% of the garment): ΔE")


def test_each_colour_of_a_two_colour_garment_must_be_found():
    packshot = flat(RED)
    ImageDraw.Draw(packshot).rectangle([60, 180, 240, 260], fill=(30, 140, 60))
    context = Context(garment=packshot_colours(packshot))
    both = studio(RED)
    ImageDraw.Draw(both.image).rectangle([140, 180, 260, 250], fill=(30, 140, 60))
    assert garment_colour(QualityImage(both.image), context)["passed"]
    assert not garment_colour(studio(RED), context)["passed"]  # the green block is missing


def test_the_garment_colour_check_says_why_it_was_skipped():
    assert garment_colour(studio(), Context())["detail"] == "skipped: the product has no stored packshot"
    skipped = garment_colour(studio(), Context(garment=[]))
    assert skipped["passed"] and skipped["score"] is None and "white background" in skipped["detail"]


# --- sharpness ------------------------------------------------------------------------------------------
def test_a_blurred_picture_fails_sharpness_and_scores_lower_the_more_it_is_blurred():
    scores = [sharpness(studio(blur=radius), Context())["score"] for radius in (0, 1, 2.5, 5)]
    assert scores == sorted(scores, reverse=True)
    assert sharpness(studio(), Context())["passed"] and not sharpness(studio(blur=2.5), Context())["passed"]


def test_sharpness_is_judged_at_one_scale_whatever_the_pictures_size():
    small = samples.render(samples._look(np.random.default_rng(3)), samples._pose(np.random.default_rng(4)))
    large = small.resize((small.width * 3, small.height * 3), Image.Resampling.LANCZOS)
    assert max(QualityImage(large).grey.shape) == 768
    a, b = sharpness(QualityImage(small), Context())["score"], sharpness(QualityImage(large), Context())["score"]
    assert a > DEFAULTS["sharpness"] and b > DEFAULTS["sharpness"]


def test_a_plain_backdrop_does_not_make_a_sharp_subject_blurred():
    wide = Image.new("RGB", (1600, 800), (236, 233, 228))
    wide.paste(studio(size=(200, 250)).image, (700, 275))  # the subject on an eighth of the picture
    assert sharpness(QualityImage(wide), Context())["passed"]


# --- size and framing -----------------------------------------------------------------------------------
def test_size_checks_the_aspect_ratio_and_the_least_size():
    context = Context(asked=(1600, 2000), minimum=(819, 1024))
    assert size(studio(size=(819, 1024)), context)["passed"]
    assert size(studio(size=(1600, 2000)), context)["passed"]
    square = size(studio(size=(1024, 1024)), context)
    assert not square["passed"] and square["score"] == 0.25
    assert square["detail"] == "1024x1024 for 1600x2000 asked: aspect ratio off by 25.0%, at least 819x1024 expected"
    small = size(studio(size=(400, 500)), context)
    assert not small["passed"] and small["score"] == pytest.approx(1 - 500 / 1024, abs=1e-4)
    assert size(studio(size=(400, 500)), Context())["detail"] == "skipped: the look asks no size (400x500)"


def test_the_file_size_counts_not_the_size_the_checks_decoded():
    buffer = io.BytesIO()
    studio(size=(1600, 2000)).image.save(buffer, format="JPEG")
    decoded = QualityImage.from_bytes(buffer.getvalue())
    assert (decoded.width, decoded.height) == (1600, 2000) and decoded.image.width < 1600  # a reduced decode
    assert size(decoded, Context(asked=(800, 1000)))["passed"]


# --- background -----------------------------------------------------------------------------------------
def test_the_background_is_the_borders_colour_against_the_presets():
    context = Context(background="#ECE9E4")
    on_preset = background(studio(backdrop=(236, 233, 228)), context)
    assert on_preset["passed"] and on_preset["score"] < 1 and on_preset["detail"].startswith("border #ece9e4")
    grey = background(studio(backdrop=(170, 170, 175)), context)
    assert not grey["passed"] and grey["score"] > 15
    assert background(studio(), Context())["detail"] == "skipped: no background preset colour"


def test_a_figure_touching_the_edge_does_not_change_the_background():
    image = studio(backdrop=(236, 233, 228), size=(400, 500)).image
    ImageDraw.Draw(image).rectangle([0, 200, 60, 500], fill=NAVY)  # an arm reaching the left edge
    assert background(QualityImage(image), Context(background="#ece9e4"))["passed"]


# --- exposure -------------------------------------------------------------------------------------------
def test_blown_highlights_and_crushed_shadows_are_measured_on_the_subject():
    assert exposure(studio(), Context())["score"] == 0
    grey = studio((200, 190, 180), backdrop=(150, 150, 150)).image
    over = Image.fromarray(np.clip(np.asarray(grey, float) * 2.2, 0, 255).astype(np.uint8))
    assert exposure(QualityImage(grey), Context(background="#969696"))["passed"]
    found = exposure(QualityImage(over), Context(background="#969696"))
    assert not found["passed"] and found["detail"].startswith("highlights clipped: ")
    crushed = studio(shirt=(4, 4, 4), trousers=(2, 2, 3))
    assert not exposure(crushed, Context())["passed"]


def test_a_white_studio_backdrop_is_no_blown_highlight():
    assert exposure(studio(backdrop=(255, 255, 255)), Context(background="#ffffff"))["passed"]
    assert exposure(studio(backdrop=(255, 255, 255)), Context())["passed"]
    white_shirt = exposure(studio(shirt=(255, 255, 255), backdrop=(150, 150, 150)), Context(background="#969696"))
    assert white_shirt["score"] > 0.2 and not white_shirt["passed"]
    # A limit: on an off-white backdrop, a shirt blown to white is taken for the backdrop.
    assert exposure(studio(shirt=(255, 255, 255)), Context(background="#ece9e4"))["passed"]


# --- duplicate ------------------------------------------------------------------------------------------
def test_the_same_picture_again_is_a_duplicate_and_another_one_is_not():
    look, rng = samples._look(np.random.default_rng(5)), np.random.default_rng(6)
    first = samples._pose(rng)
    earlier = samples.render(look, first)
    again = QualityImage.from_bytes(samples.encode(earlier, 75))
    other = QualityImage(samples.render(look, samples._other_pose(rng, first)))
    context = Context(previous=(imagehash.phash(earlier),))
    same = duplicate(again, context)
    assert not same["passed"] and same["score"] < 4 and same["detail"].endswith("(the same picture)")
    assert duplicate(other, context)["passed"]
    assert duplicate(other, Context())["detail"] == "skipped: no earlier revision with stored images"


# --- the revision's status ------------------------------------------------------------------------------
def test_errors_fail_soft_checks_warn_and_duplicates_depend_on_where_the_revision_came_from():
    def checks(*failed):
        return [{"name": name, "passed": name not in failed} for name in THRESHOLDS]

    generated, uploaded = Context(generated=True), Context(generated=False)
    assert status_of(checks(), generated) == "PASSED"
    for name in ("garment_colour", "sharpness", "size", "background"):
        assert status_of(checks(name), uploaded) == "FAILED"
    assert status_of(checks("exposure"), generated) == "WARNING"
    assert status_of(checks("duplicate"), generated) == "FAILED"
    assert status_of(checks("duplicate"), uploaded) == "WARNING"
    assert status_of(checks("exposure", "sharpness"), uploaded) == "FAILED"


def test_several_images_keep_each_checks_worst_and_an_unreadable_image_fails():
    context = Context(garment=packshot_colours(flat(RED)), background="#ece9e4")
    found = assess([studio(RED), studio(ORANGE), None], context)
    assert found["status"] == "FAILED"
    by_name = {check["name"]: check for check in found["checks"]}
    assert list(by_name) == ["image", *THRESHOLDS]
    assert by_name["image"] == {"name": "image", "score": None, "threshold": 0, "passed": False,
                                "detail": "unreadable: image 3"}
    assert by_name["garment_colour"]["detail"].startswith("image 2 of 3: ") and not by_name["garment_colour"]["passed"]
    assert by_name["background"]["passed"]
    assert set(by_name["sharpness"]) == {"name", "score", "threshold", "passed", "detail"}


def test_guidelines_override_thresholds_and_a_check_uses_its_own():
    thresholds = effective_thresholds({"garment_colour": 30, "unknown": 1})
    assert thresholds == {**DEFAULTS, "garment_colour": 30.0}
    orange = garment_colour(studio(ORANGE), Context(thresholds=thresholds, garment=packshot_colours(flat(RED))))
    assert orange["passed"] and orange["threshold"] == 30.0


def test_stored_bytes_that_are_no_image_are_undecodable():
    from shots.quality import Undecodable

    with pytest.raises(Undecodable):
        QualityImage.from_bytes(b"not an image")
    with pytest.raises(Undecodable):
        packshot_colours_of(b"\x89PNG\r\n\x1a\n broken")
