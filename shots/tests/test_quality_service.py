"""A new revision's quality checks end to end: PENDING on creation (a generation's result or an
upload), the task through `apply()`, the stored result, its event, idempotence, the automatic
regeneration after a FAILED generated revision, and the guidelines' options (docs/quality.md)."""
import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from conftest import client_for
from sartiq.catalog.demo import figure_image, garment_image
from sartiq.catalog.models import ShootingGuidelines, SubjectBaseImage
from sartiq.catalog.tests.factories import (
    BackgroundPresetFactory,
    ShootingGuidelinesFactory,
    SubjectBaseImageFactory,
)
from sartiq.events.models import Event
from sartiq.media.services import media_create_from_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, Shot, ShotRevision
from shots.services import quality as quality_service
from shots.tasks import check_revision_quality, run_generation, sweep_quality_checks
from tests.test_catalog_admin_services import shown

pytestmark = pytest.mark.django_db
CHECKS = ["garment_colour", "sharpness", "size", "background", "exposure", "duplicate"]


@pytest.fixture
def enqueued(monkeypatch):
    """The quality checks sent after commit (ids), instead of to the broker."""
    sent = []
    monkeypatch.setattr(check_revision_quality, "delay", lambda revision_id: sent.append(revision_id))
    return sent


@pytest.fixture
def guidelines(user):
    return ShootingGuidelinesFactory(owner=user)


@pytest.fixture
def shot(user, guidelines):
    """A shot the local engine renders: a subject's base image, a red shirt's packshot, a backdrop."""
    product_image = media_create_from_bytes(owner=user, data=garment_image("Shirt", (200, 30, 40)))
    look = LookFactory(shooting=ShootingFactory(owner=user, default_guidelines=guidelines), width=300, height=400,
                       product__cover_image_media=product_image,
                       background_preset=BackgroundPresetFactory(owner=user, color="#eeeeee"))
    shot = ShotFactory(shooting_look=look)
    base = media_create_from_bytes(owner=user, data=figure_image("Ava", (176, 120, 98)))
    SubjectBaseImageFactory(subject=look.subject, shot_type=shot.shot_type, image_url=base.url, image_media=base)
    return shot


def generate(shot, user=None) -> ShotRevision:
    generation = Generation.objects.create(shot=shot, requested_by=user)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    return Generation.objects.get(pk=generation.pk).revision


def checked(revision) -> ShotRevision:
    check_revision_quality.apply(args=[str(revision.pk)]).get()
    return ShotRevision.objects.get(pk=revision.pk)


def quality_events(shot) -> list[dict]:
    return list(Event.objects.filter(type="revision.quality_checked", shot_id=shot.pk).order_by("occurred_at")
                .values_list("data", flat=True))


def png(size, colour=(200, 30, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_generated_revision_is_pending_until_its_checks_run(user, shot, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revision = generate(shot, user)
    assert enqueued == [str(revision.pk)]
    assert (revision.quality_status, revision.quality) == ("PENDING", {"status": "PENDING", "checks": []})
    api = client_for(user)
    assert api.get(f"/api/v1/shots/revisions/{revision.pk}").json()["quality"] == {"status": "PENDING", "checks": []}

    revision = checked(revision)
    assert revision.quality_status == revision.quality["status"] == "PASSED"
    assert [check["name"] for check in revision.quality["checks"]] == CHECKS
    by_name = {check["name"]: check for check in revision.quality["checks"]}
    assert by_name["garment_colour"]["score"] < 3 and by_name["background"]["score"] < 3
    assert by_name["size"]["detail"] == "300x400 for 300x400 asked: aspect ratio off by 0.0%, at least 300x400 expected"
    assert by_name["duplicate"] == {"name": "duplicate", "score": None, "threshold": 8.0, "passed": True,
                                    "detail": "skipped: no earlier revision with stored images"}
    assert quality_events(shot) == [{"version": 1, "status": "PASSED", "failed": []}]
    event = Event.objects.get(type="revision.quality_checked")
    assert (event.actor_type, event.revision_id) == ("system", revision.pk)
    shown = api.get(f"/api/v1/shots/{shot.pk}").json()["revisions"][0]
    assert shown["quality"] == revision.quality


def test_a_duplicate_message_changes_nothing(user, shot, enqueued):
    revision = checked(generate(shot, user))
    assert check_revision_quality.apply(args=[str(revision.pk)]).get() == "skipped"
    again = ShotRevision.objects.get(pk=revision.pk)
    assert (again.quality, again.updated_at) == (revision.quality, revision.updated_at)
    assert len(quality_events(shot)) == 1


def test_a_deleted_revision_or_a_revision_checked_meanwhile_is_left_alone(user, shot, enqueued):
    revision = generate(shot, user)
    ShotRevision.objects.filter(pk=revision.pk).update(quality_status="PASSED")
    assert check_revision_quality.apply(args=[str(revision.pk)]).get() == "skipped"
    assert ShotRevision.objects.get(pk=revision.pk).quality == {"status": "PENDING", "checks": []}
    ShotRevision.objects.filter(pk=revision.pk).update(quality_status="PENDING")
    client_for(user).delete(f"/api/v1/shots/revisions/{revision.pk}")
    assert check_revision_quality.apply(args=[str(revision.pk)]).get() == "skipped"
    assert quality_events(shot) == []


def test_the_local_engines_second_rendering_is_a_duplicate(user, shot, enqueued):
    checked(generate(shot, user))
    second = checked(generate(shot, user))
    assert second.quality_status == "FAILED"
    duplicate = next(check for check in second.quality["checks"] if check["name"] == "duplicate")
    assert not duplicate["passed"] and duplicate["score"] < 8


def test_an_uploaded_revision_is_checked_too_and_never_regenerated(user, shot, guidelines, enqueued):
    guidelines.quality_auto_regenerate = 3
    guidelines.save()
    api = client_for(user)
    response = api.post(f"/api/v1/shots/{shot.pk}/revision", {
        "shot_status": "POST_PROD", "images": [{"image_data": png((400, 400))}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["quality"] == {"status": "PENDING", "checks": []}
    revision = checked(ShotRevision.objects.get(pk=response.json()["id"]))
    failed = [check["name"] for check in revision.quality["checks"] if not check["passed"]]
    assert revision.quality_status == "FAILED" and "size" in failed and "sharpness" in failed
    assert quality_events(shot) == [{"version": 1, "status": "FAILED", "failed": failed}]  # no regeneration
    assert not Generation.objects.filter(shot=shot).exists()
    assert Shot.objects.get(pk=shot.pk).quality_regenerations == 0


def test_an_uploaded_duplicate_only_warns(user, shot, enqueued):
    api = client_for(user)
    first = api.post(f"/api/v1/shots/{shot.pk}/revision", {"shot_status": "POST_PROD", "images": [
        {"image_data": base64.b64encode(_rendering(shot, user)).decode()}]}, format="json").json()
    checked(ShotRevision.objects.get(pk=first["id"]))
    revision = ShotRevision.objects.get(pk=first["id"])
    second = api.post(f"/api/v1/shots/{shot.pk}/revision", {"shot_status": "POST_PROD", "images": [
        {"image_url": revision.images.get().image_media.url}]}, format="json").json()
    again = checked(ShotRevision.objects.get(pk=second["id"]))
    assert again.quality_status == "WARNING"
    assert [check["name"] for check in again.quality["checks"] if not check["passed"]] == ["duplicate"]


def _rendering(shot, user) -> bytes:
    """The bytes of a local rendering of the shot (a generation's image, as an upload)."""
    revision = generate(shot, user)
    data = revision.images.get().image_media.file.read()
    client_for(user).delete(f"/api/v1/shots/revisions/{revision.pk}")
    return data


def test_a_revision_without_images_is_never_checked(user, shot, enqueued):
    response = client_for(user).post(f"/api/v1/shots/{shot.pk}/revision", {"shot_status": "PROPOSAL", "images": []},
                                     format="json")
    assert response.json()["quality"] is None
    assert ShotRevision.objects.get(pk=response.json()["id"]).quality_status == ""
    assert enqueued == []


def test_a_failed_generated_revision_is_regenerated_up_to_the_guidelines_limit(user, shot, guidelines, enqueued):
    guidelines.quality_thresholds = {"sharpness": 100000}  # nothing is that sharp: every rendering FAILS
    guidelines.quality_auto_regenerate = 2
    guidelines.save()
    rework = (shot.rework_available, shot.rework_used)
    first = checked(generate(shot, user))
    assert first.quality_status == "FAILED"
    (regeneration,) = Generation.objects.filter(shot=shot, status="PENDING")
    assert regeneration.requested_by == user and regeneration.kind == "SHOT"
    assert quality_events(shot) == [{"version": 1, "status": "FAILED", "failed": ["sharpness"], "regeneration": {
        "generation_id": str(regeneration.pk), "number": 1, "max": 2}}]

    assert run_generation.apply(args=[str(regeneration.pk)]).get() == "completed"
    second = checked(Generation.objects.get(pk=regeneration.pk).revision)
    third_generation = Generation.objects.get(shot=shot, status="PENDING")
    run_generation.apply(args=[str(third_generation.pk)])
    third = checked(Generation.objects.get(pk=third_generation.pk).revision)
    assert [second.quality_status, third.quality_status] == ["FAILED", "FAILED"]
    events = quality_events(shot)
    assert events[1]["regeneration"]["number"] == 2
    assert events[2]["regeneration"] == {"skipped": "the guidelines' 2 automatic regenerations are spent"}
    assert not Generation.objects.filter(shot=shot, status="PENDING").exists()
    shot.refresh_from_db()
    assert shot.quality_regenerations == 2 and (shot.rework_available, shot.rework_used) == rework


def test_no_regeneration_without_the_guidelines_option_or_once_someone_moved_on(user, shot, guidelines, enqueued):
    guidelines.quality_thresholds = {"sharpness": 100000}
    guidelines.save()
    checked(generate(shot, user))
    assert quality_events(shot)[0] == {"version": 1, "status": "FAILED", "failed": ["sharpness"]}
    guidelines.quality_auto_regenerate = 1
    guidelines.save()
    revision = generate(shot, user)
    add_revision(shot, "POST_PROD", images=0)  # a person added a revision before the checks ran
    checked(revision)
    assert quality_events(shot)[1]["regeneration"] == {"skipped": "the revision is no longer the shot's current one"}
    assert not Generation.objects.filter(shot=shot, status="PENDING").exists()
    revision = generate(shot, user)
    SubjectBaseImage.objects.filter(subject=shot.shooting_look.subject).delete()  # nothing to render from now
    checked(revision)
    assert quality_events(shot)[2]["regeneration"] == {"skipped": "the shot cannot be generated any more "
                                                                  "(no_base_image)"}
    assert not Generation.objects.filter(shot=shot, status="PENDING").exists()


def test_the_sweeper_sends_the_checks_of_revisions_left_pending(user, shot, enqueued):
    revision = generate(shot, user)
    assert sweep_quality_checks.apply().get() == 0  # a fresh one: its own message is on its way
    ShotRevision.objects.filter(pk=revision.pk).update(created_at=revision.created_at.replace(year=2020))
    assert list(quality_service.revisions_quality_stale()) == [revision.pk]
    enqueued.clear()
    assert sweep_quality_checks.apply().get() == 1 and enqueued == [str(revision.pk)]


def test_a_stored_image_that_cannot_be_read_fails_the_revision(user, shot, enqueued):
    revision = generate(shot, user)
    image = revision.images.get().image_media
    image.file.storage.delete(image.file.name)
    revision = checked(revision)
    assert revision.quality_status == "FAILED"
    assert revision.quality["checks"] == [{"name": "image", "score": None, "threshold": 0, "passed": False,
                                           "detail": "unreadable: image 1"}]


# --- the guidelines' options --------------------------------------------------------------------------
def test_guidelines_take_quality_thresholds_and_automatic_regenerations(user):
    api = client_for(user)
    created = api.post("/api/v1/guidelines/", {"name": "Strict", "quality_thresholds": {"garment_colour": 5},
                                               "quality_auto_regenerate": 2}, format="json")
    assert created.status_code == 200, created.content
    body = created.json()
    assert (body["quality_thresholds"], body["quality_auto_regenerate"]) == ({"garment_colour": 5.0}, 2)
    patched = api.patch(f"/api/v1/guidelines/{body['id']}", {"quality_thresholds": {"sharpness": 30}},
                        format="json").json()
    assert (patched["quality_thresholds"], patched["quality_auto_regenerate"]) == ({"sharpness": 30.0}, 2)
    plain = api.post("/api/v1/guidelines/", {"name": "Plain"}, format="json").json()
    assert (plain["quality_thresholds"], plain["quality_auto_regenerate"]) == ({}, 0)


@pytest.mark.parametrize("body, message", [
    ({"quality_thresholds": {"colour": 5}}, "Extra inputs are not permitted"),
    ({"quality_thresholds": {"size": 2}}, "Input should be less than or equal to 1"),
    ({"quality_thresholds": {"sharpness": "high"}},
     "Input should be a valid number, unable to parse string as a number"),
    ({"quality_thresholds": None}, "Input should be a valid dictionary or object to extract fields from"),
    ({"quality_auto_regenerate": 11}, "Input should be less than or equal to 10"),
    ({"quality_auto_regenerate": -1}, "Input should be greater than or equal to 0"),
])
def test_guidelines_refuse_unknown_checks_and_thresholds_out_of_bounds(user, body, message):
    response = client_for(user).post("/api/v1/guidelines/", {"name": "G", **body}, format="json")
    assert response.status_code == 422
    assert [error["msg"] for error in response.json()["detail"]] == [message]
    assert not ShootingGuidelines.objects.exists()


def test_the_admins_form_validates_thresholds_as_the_api_does(user):
    guidelines = ShootingGuidelinesFactory(owner=user, quality_thresholds={"garment_colour": 500})
    with pytest.raises(ValidationError, match="garment_colour: between 0 and 100"):
        guidelines.full_clean()
    guidelines.quality_thresholds = {"blur": 1}
    with pytest.raises(ValidationError, match="'blur' is not a quality check"):
        guidelines.full_clean()
    guidelines.quality_thresholds, guidelines.quality_auto_regenerate = {"exposure": 0.2}, 11
    with pytest.raises(ValidationError, match="quality_auto_regenerate"):
        guidelines.full_clean()
    guidelines.quality_auto_regenerate = 3
    guidelines.full_clean()


def test_the_guidelines_admin_edits_the_quality_options_and_refuses_what_the_api_refuses(client, superuser, user):
    guidelines = ShootingGuidelinesFactory(owner=user)
    client.force_login(superuser)
    page = reverse("admin:catalog_shootingguidelines_change", args=[guidelines.pk])
    data = shown(client, page)
    refused = client.post(page, {**data, "quality_thresholds": '{"blur": 1}', "quality_auto_regenerate": "2"})
    assert refused.status_code == 200  # the form again, with its error
    assert "&#x27;blur&#x27; is not a quality check" in refused.content.decode()
    guidelines.refresh_from_db()
    assert (guidelines.quality_thresholds, guidelines.quality_auto_regenerate) == ({}, 0)
    saved = client.post(page, {**data, "quality_thresholds": '{"sharpness": 30}', "quality_auto_regenerate": "2"})
    assert saved.status_code == 302
    guidelines.refresh_from_db()
    assert (guidelines.quality_thresholds, guidelines.quality_auto_regenerate) == ({"sharpness": 30}, 2)


def test_the_revisions_admin_shows_the_checks_read_only(client, superuser, user, shot, enqueued):
    revision = checked(generate(shot, user))
    client.force_login(superuser)
    listing = client.get(reverse("admin:shots_shotrevision_changelist") + "?quality_status__exact=PASSED")
    assert listing.status_code == 200 and ">PASSED</span>" in listing.content.decode()
    assert client.get(reverse("admin:shots_shotrevision_changelist") + "?quality_status__exact=FAILED").context[
        "cl"].result_count == 0
    page = client.get(reverse("admin:shots_shotrevision_change", args=[revision.pk]))
    html = page.content.decode()
    assert '<table class="quality-checks">' in html and "<td>garment_colour</td>" in html
    assert "skipped: no earlier revision with stored images" in html
    assert not {"quality", "quality_status"} & set(page.context["adminform"].form.fields)


def test_the_web_processes_never_load_the_image_science():
    """numpy, SciPy, scikit-image and ImageHash are the worker's (shots/checking.py, imported by the
    task): a web process with every URL and admin loaded has none of them (they would add some
    30 MiB to each web worker, beyond `make bench`'s limit)."""
    script = ("import sys, django; django.setup(); from django.urls import get_resolver; "
              "get_resolver().url_patterns; import shots.services, shots.tasks; "
              "print(sorted(m for m in ('numpy', 'scipy', 'skimage', 'imagehash') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings"},
                           cwd=Path(__file__).resolve().parents[2])
    assert (found.returncode, found.stdout.strip()) == (0, "[]"), found.stderr[-2000:]


def test_the_revision_admin_and_the_review_page_write_scores_alike():
    """One formatter for both tables: two decimals at most, three significant digits below 1."""
    from integrations.review_admin import quality_checks as review_checks
    from shots.admin import quality_table

    quality = {"status": "FAILED", "checks": [
        {"name": "sharpness", "score": 0.0031234, "threshold": 0.004, "passed": False, "detail": "soft"},
        {"name": "garment_colour", "score": 12.3456, "threshold": 15, "passed": True, "detail": ""},
        {"name": "duplicate", "score": None, "threshold": 8, "passed": True, "detail": "skipped"}]}
    html = str(quality_table(quality))
    shown = [(check["score"], check["threshold"]) for check in review_checks(quality)]
    assert shown == [("0.00312", "0.004"), ("12.35", "15"), ("-", "8")]
    for score, threshold in shown:
        assert f"<td>{score}</td><td>{threshold}</td>" in html
