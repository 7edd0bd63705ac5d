"""Each API action records its event, in its transaction, with the caller as the actor; nothing is
recorded when the change rolls back; the history endpoints show them newest first, to whoever may
read the object. (The workers' events: test_recorded_by_workers.py; the admin's: test_admin.py.)"""
from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from outfits.models import Outfit
from sartiq.catalog.tests import factories as f
from sartiq.events.catalogue import TYPES
from sartiq.events.models import Event
from sartiq.media.tests.factories import png_bytes
from shootings import services as shooting_services
from shootings.models import Shooting, ShootingLook
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, ShotRevision

pytestmark = pytest.mark.django_db


def events(**subject) -> list[tuple[str, dict]]:
    """(type, data) of the events about `subject`, oldest first."""
    return [(e.type, e.data) for e in Event.objects.filter(**subject).order_by("id")]


def only(type: str, **subject) -> Event:
    [event] = Event.objects.filter(type=type, **subject)
    assert event.type in TYPES
    return event


def by_user(event: Event, user) -> None:
    assert (event.actor_type, event.actor_id, event.actor_name) == ("user", user.pk, user.email)


def revision_body(status: str) -> dict:
    return {"shot_status": status, "images": [{"image_data": base64.b64encode(png_bytes((8, 8))).decode()}]}


@pytest.fixture
def shot(user, org):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user, organization=org))


# --- shootings and looks ----------------------------------------------------------------------------
def test_a_shootings_life(user, org):
    client = client_for(user)
    body = {"name": "Spring", "organization_id": str(org.pk), "due_date": "2027-03-01T00:00:00Z"}
    created = client.post("/api/v1/shootings/", body, format="json")
    assert created.status_code == 200, created.json()
    shooting_id = created.json()["id"]
    assert client.patch(f"/api/v1/shootings/{shooting_id}", {"name": "Spring 27", "archived": True},
                        format="json").status_code == 200
    assert client.delete(f"/api/v1/shootings/{shooting_id}").status_code == 200
    assert events(shooting_id=shooting_id) == [
        ("shooting.created", {"name": "Spring"}),
        ("shooting.updated", {"fields": ["archived", "name"]}),
        ("shooting.deleted", {"name": "Spring 27"}),
    ]
    for event in Event.objects.filter(shooting_id=shooting_id):
        by_user(event, user)
        assert (event.organization_id, event.owner_id) == (org.pk, user.pk)  # the tenant who may read it


def test_a_transfer_says_from_where_to_where(user, org):
    shooting = ShootingFactory(owner=user)
    response = client_for(user).patch(f"/api/v1/shootings/{shooting.pk}", {"organization_id": str(org.pk)},
                                      format="json")
    assert response.status_code == 200, response.json()
    event = only("shooting.updated", shooting_id=shooting.pk)
    assert event.data == {"fields": ["organization_id"], "organization": {"from": None, "to": str(org.pk)}}
    assert event.organization_id == org.pk  # the new tenant's, from now on


@pytest.fixture
def catalogue(user):
    shot_types = [f.ShotTypeFactory(owner=user) for _ in range(2)]
    subject = f.SubjectFactory(owner=user, gender="FEMALE")
    return {"shot_types": shot_types, "subject": subject,
            "products": [f.ProductFactory(owner=user, gender="FEMALE") for _ in range(3)]}


def test_look_creation_records_one_event_per_look_in_one_insert(user, catalogue):
    shooting = ShootingFactory(owner=user)
    body = {"product_ids": [str(p.pk) for p in catalogue["products"]], "subject_ids": [str(catalogue["subject"].pk)],
            "shot_type_ids": [str(t.pk) for t in catalogue["shot_types"]]}
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 200, response.json()
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "events_event"')]
    assert len(inserts) == 1
    looks = {str(look.pk): look for look in ShootingLook.objects.filter(shooting=shooting)}
    created = Event.objects.filter(type="look.created")
    assert {str(e.look_id) for e in created} == set(looks) and len(looks) == 3
    for event in created:
        by_user(event, user)
        look = looks[str(event.look_id)]
        assert event.shooting_id == shooting.pk
        assert event.data == {"product_id": str(look.product_id), "subject_id": str(catalogue["subject"].pk),
                              "shots": 2, "status": "DRAFT"}


def test_a_failure_after_the_looks_were_written_records_nothing(user, other_user, catalogue):
    """The outfit configs are checked after the looks, their shots and their events are written:
    a config naming another tenant's product refuses the request, and takes them all back."""
    shooting = ShootingFactory(owner=user)
    foreign = f.ProductFactory(owner=other_user)
    body = {"subject_ids": [str(catalogue["subject"].pk)],
            "product_outfit_configs": [{"product_id": str(catalogue["products"][0].pk),
                                        "outfit_product_ids": [str(foreign.pk)]}]}
    response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 403, response.json()
    assert not ShootingLook.objects.exists() and not Event.objects.exists()


def test_a_service_whose_transaction_rolls_back_leaves_no_event(user):
    shooting = ShootingFactory(owner=user, name="Before")
    with pytest.raises(RuntimeError), transaction.atomic():
        shooting_services.shooting_update(user=user, shooting=shooting, data={"name": "After"})
        assert Event.objects.filter(type="shooting.updated").exists()  # recorded with the change...
        raise RuntimeError("what follows the change fails")
    assert not Event.objects.exists()  # ...and gone with it
    assert Shooting.objects.get(pk=shooting.pk).name == "Before"


def test_a_looks_updates_and_deletion(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    url = f"/api/v1/shootings/{look.shooting_id}/looks/{look.pk}"
    client = client_for(user)
    assert client.put(url, {"status": "READY", "width": 640}, format="json").status_code == 200
    assert client.delete(url).status_code in (200, 204)
    assert events(look_id=look.pk) == [
        ("look.updated", {"fields": ["status", "width"], "from": "DRAFT", "to": "READY"}),
        ("look.deleted", {}),
    ]
    by_user(only("look.deleted", look_id=look.pk), user)


# --- outfits ------------------------------------------------------------------------------------------
def test_outfits_proposed_by_a_person_and_finalized(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    product = f.ProductFactory(owner=user)
    client = client_for(user)
    proposal = client.post("/api/v1/outfits/", {"shooting_look_id": str(look.pk),
                                                "outfit_product_ids": [str(product.pk)]}, format="json")
    assert proposal.status_code == 200, proposal.json()
    stylist = Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="COMPLETED")
    finalized = client.post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit", {"outfit_id": str(stylist.pk)},
                            format="json")
    assert finalized.status_code == 200, finalized.json()
    manual = client.post(f"/api/v1/shootings/looks/{look.pk}/outfit", {"outfit_instruction": "Layered"},
                         format="json")
    assert manual.status_code == 200, manual.json()
    assert events(look_id=look.pk) == [
        ("look.outfit_proposed", {"outfit_id": proposal.json()["id"], "source": "MANUAL", "products": 1}),
        ("look.outfit_finalized", {"outfit_id": str(stylist.pk), "source": "STYLIST"}),
        ("look.outfit_finalized", {"outfit_id": manual.json()["outfit_id"], "source": "MANUAL"}),
    ]
    for event in Event.objects.all():
        by_user(event, user)
        assert event.shooting_id == look.shooting_id


# --- shots, revisions, review ------------------------------------------------------------------------
def test_a_shots_creation_update_and_deletion(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    shot_type = f.ShotTypeFactory(owner=user)
    client = client_for(user)
    created = client.post("/api/v1/shots/", {"shooting_look_id": str(look.pk), "shot_type_id": str(shot_type.pk)},
                          format="json")
    assert created.status_code == 200, created.json()
    shot_id = created.json()["id"]
    assert client.patch(f"/api/v1/shots/{shot_id}", {"rework_available": 5}, format="json").status_code == 200
    assert client.delete(f"/api/v1/shots/{shot_id}").status_code in (200, 204)
    assert events(shot_id=shot_id) == [
        ("shot.created", {"shot_type_id": str(shot_type.pk)}),
        ("shot.updated", {"fields": ["rework_available"]}),
        ("shot.deleted", {}),
    ]
    assert {e.look_id for e in Event.objects.all()} == {look.pk}


def test_revisions_record_their_change_and_the_shots_new_status(user, shot):
    client = client_for(user)
    first = client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body("PROPOSAL"), format="json").json()
    second = client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body("REVIEW"), format="json").json()
    assert client.post(f"/api/v1/shots/revisions/{first['id']}/set-current").status_code == 200
    assert client.post(f"/api/v1/shots/revisions/{second['id']}/set-current").status_code == 200
    assert client.post(f"/api/v1/shots/revisions/{first['id']}/restore").status_code == 200
    third = client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body("PROPOSAL"), format="json").json()
    assert client.delete(f"/api/v1/shots/revisions/{third['id']}").status_code == 204
    assert client.delete(f"/api/v1/shots/revisions/{first['id']}").status_code == 204
    assert events(shot_id=shot.pk) == [
        ("revision.created", {"version": 1, "status": "PROPOSAL", "images": 1}),
        ("shot.status_changed", {"from": "PENDING", "to": "PROPOSAL", "cause": "revision.created"}),
        ("revision.created", {"version": 2, "status": "REVIEW", "images": 1}),
        ("shot.status_changed", {"from": "PROPOSAL", "to": "REVIEW", "cause": "revision.created"}),
        ("revision.set_current", {"version": 1}),
        ("shot.status_changed", {"from": "REVIEW", "to": "PROPOSAL", "cause": "revision.set_current"}),
        ("revision.set_current", {"version": 2}),
        ("shot.status_changed", {"from": "PROPOSAL", "to": "REVIEW", "cause": "revision.set_current"}),
        ("revision.restored", {"version": 1, "deleted": 1}),
        ("shot.status_changed", {"from": "REVIEW", "to": "PROPOSAL", "cause": "revision.restored"}),
        ("revision.created", {"version": 3, "status": "PROPOSAL", "images": 1}),  # same status: no change
        ("revision.deleted", {"version": 3, "was_current": True}),  # back to v1: still PROPOSAL
        ("revision.deleted", {"version": 1, "was_current": True}),
        ("shot.status_changed", {"from": "PROPOSAL", "to": "PENDING", "cause": "revision.deleted"}),
    ]
    revisions = Event.objects.filter(type__startswith="revision.").order_by("id")
    assert [str(e.revision_id) for e in revisions][:3] == [first["id"], second["id"], first["id"]]
    for event in Event.objects.all():
        by_user(event, user)
        assert (event.shooting_id, event.look_id, event.organization_id) == (
            shot.shooting_look.shooting_id, shot.shooting_look_id, shot.shooting_look.shooting.organization_id)


def test_a_current_revision_set_through_the_shot_changes_its_status(user, shot):
    first, second = add_revision(shot, "APPROVED"), add_revision(shot, "REVIEW")
    response = client_for(user).patch(f"/api/v1/shots/{shot.pk}", {"current_revision_id": str(first.pk)},
                                      format="json")
    assert response.status_code == 200, response.json()
    assert events(shot_id=shot.pk) == [
        ("shot.updated", {"fields": ["current_revision_id"]}),
        ("shot.status_changed", {"from": "REVIEW", "to": "APPROVED", "cause": "shot.updated"}),
    ]
    assert second.pk  # still there: only the pointer moved


def test_approve_and_reject_with_the_note_and_the_rework_left(user, shot):
    shot.rework_available = 2
    shot.save()
    revision = add_revision(shot, "PROPOSAL")
    client = client_for(user)
    assert client.post(f"/api/v1/shots/{shot.pk}/reject", {"notes": "Too dark", "reasons": ["COLOR"]},
                       format="json").status_code == 200
    add_revision(shot, "POST_PROD")
    assert client.post(f"/api/v1/shots/{shot.pk}/approve").status_code == 200
    rejected, approved = only("shot.rejected", shot_id=shot.pk), only("shot.approved", shot_id=shot.pk)
    assert rejected.data == {"from": "PROPOSAL", "to": "REJECTED", "note": "Too dark", "reasons": ["COLOR"],
                             "rework_used": 1, "rework_left": 1}
    assert rejected.revision_id == revision.pk
    assert approved.data == {"from": "POST_PROD", "to": "APPROVED", "rework_used": 1, "rework_left": 1}
    by_user(rejected, user), by_user(approved, user)
    assert not Event.objects.filter(type="shot.status_changed").exists()  # approve/reject say it themselves


def test_a_refused_review_records_nothing(user, other_user, shot):
    add_revision(shot, "APPROVED")
    assert client_for(user).post(f"/api/v1/shots/{shot.pk}/approve").status_code == 400
    assert client_for(other_user).post(f"/api/v1/shots/{shot.pk}/reject").status_code == 403
    shot.rework_available = 0
    shot.save()
    add_revision(shot, "REVIEW")
    assert client_for(user).post(f"/api/v1/shots/{shot.pk}/reject").status_code == 409
    assert not Event.objects.exists()


def test_a_generation_canceled_by_its_user(user, shot):
    generation = Generation.objects.create(shot=shot, requested_by=user)
    assert client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel").status_code == 200
    event = only("generation.canceled", generation_id=generation.pk)
    by_user(event, user)
    assert (event.shot_id, event.data) == (shot.pk, {})
    assert client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel").status_code == 400
    assert Event.objects.count() == 1  # a refused cancel records nothing


# --- history ----------------------------------------------------------------------------------------
def test_histories_newest_first_paged_and_as_private_as_their_object(user, other_user, member, shot):
    client = client_for(user)
    for status in ("PROPOSAL", "REVIEW"):
        client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body(status), format="json")
    client.post(f"/api/v1/shots/{shot.pk}/approve")
    elsewhere = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    client.post(f"/api/v1/shots/{elsewhere.pk}/revision", revision_body("PROPOSAL"), format="json")

    page = client.get(f"/api/v1/shots/{shot.pk}/history")
    assert page.status_code == 200
    body = page.json()
    assert body["count"] == 5
    assert [e["type"] for e in body["data"]] == ["shot.approved", "shot.status_changed", "revision.created",
                                                 "shot.status_changed", "revision.created"]
    newest = body["data"][0]
    assert newest["actor"] == {"type": "user", "id": str(user.pk), "name": user.email}
    assert newest["shot_id"] == str(shot.pk) and newest["data"]["to"] == "APPROVED"
    paged = client.get(f"/api/v1/shots/{shot.pk}/history?skip=1&limit=2").json()
    assert [e["id"] for e in paged["data"]] == [e["id"] for e in body["data"][1:3]] and paged["count"] == 5

    shooting_id = shot.shooting_look.shooting_id
    shooting = client.get(f"/api/v1/shootings/{shooting_id}/history").json()
    assert [e["id"] for e in shooting["data"]] == [e["id"] for e in body["data"]]  # not the other shooting's

    assert client_for(member).get(f"/api/v1/shots/{shot.pk}/history").status_code == 200  # the org's member
    assert client_for(other_user).get(f"/api/v1/shots/{shot.pk}/history").status_code == 403
    assert client_for(other_user).get(f"/api/v1/shootings/{shooting_id}/history").status_code == 403
    assert client.get(f"/api/v1/shots/{uuid.uuid4()}/history").status_code == 404


def test_the_history_of_a_deleted_revision_stays_with_its_shot(user, shot):
    client = client_for(user)
    revision = client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body("PROPOSAL"), format="json").json()
    assert client.delete(f"/api/v1/shots/revisions/{revision['id']}").status_code == 204
    assert not ShotRevision.objects.exists()
    data = client.get(f"/api/v1/shots/{shot.pk}/history").json()["data"]
    assert [(e["type"], e["revision_id"]) for e in data][:2] == [("shot.status_changed", None),
                                                                 ("revision.deleted", revision["id"])]


# --- the feed ----------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)  # the feed shows committed transactions only
def test_the_feed_follows_the_services_in_order_for_the_tenant_only(user, org, member, other_user):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user, organization=org))
    client = client_for(user)
    client.post(f"/api/v1/shots/{shot.pk}/revision", revision_body("PROPOSAL"), format="json")
    client.post(f"/api/v1/shots/{shot.pk}/approve")
    personal = client.post("/api/v1/shootings/", {"name": "Mine", "due_date": "2027-03-01T00:00:00Z"},
                           format="json").json()

    first = client_for(member).get(f"/api/v1/events?organization_id={org.pk}&limit=2").json()
    assert [e["type"] for e in first["data"]] == ["revision.created", "shot.status_changed"] and first["has_more"]
    rest = client_for(member).get(f"/api/v1/events?organization_id={org.pk}&after={first['next_cursor']}").json()
    assert [e["type"] for e in rest["data"]] == ["shot.approved"] and not rest["has_more"]
    shots_only = client_for(member).get(f"/api/v1/events?organization_id={org.pk}&types=shot.*").json()
    assert [e["type"] for e in shots_only["data"]] == ["shot.status_changed", "shot.approved"]

    mine = client.get("/api/v1/events").json()["data"]  # personal: not the organization's
    assert [(e["type"], e["shooting_id"]) for e in mine] == [("shooting.created", personal["id"])]
    assert client_for(other_user).get("/api/v1/events").json()["data"] == []
    assert client_for(other_user).get(f"/api/v1/events?organization_id={org.pk}").status_code == 403


def test_the_catalogue_is_the_documented_one():
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", (Path(settings.BASE_DIR) / "docs" / "events.md")
                                .read_text(), re.M))
    assert documented == set(TYPES)
