"""Outfits: manual outfits, finalization (option A and B), the /outfits/ resource."""
import uuid

import pytest

from conftest import client_for
from outfits.models import Outfit
from sartiq.catalog.tests.factories import ProductFactory
from shootings.tests.factories import LookFactory, ShootingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def look(user):
    return LookFactory(shooting=ShootingFactory(owner=user))


def proposals(look, n=2, status="COMPLETED"):
    return [Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status=status,
                                  outfit_instruction=f"Proposal {i}") for i in range(n)]


def test_a_manual_outfit_becomes_the_outfit_and_removes_proposals(user, look):
    proposals(look)
    products = [ProductFactory(owner=user) for _ in range(2)]
    body = {"outfit_product_ids": [str(p.pk) for p in products], "outfit_instruction": "Layered",
            "outfit_ref_imgs_urls": ["https://cdn.example.com/a.png"]}
    data = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/outfit", body, format="json").json()
    assert data["outfit"]["outfit_instruction"] == "Layered" and data["outfit"]["source"] == "MANUAL"
    assert data["outfit_product_ids"] == [str(p.pk) for p in products]  # in the order given
    assert [p["id"] for p in data["outfit"]["outfit_products"]] == [str(p.pk) for p in products]
    assert data["outfit_proposals"] == []
    assert Outfit.objects.filter(shooting_look=look).count() == 1


def test_finalize_option_a_selects_a_proposal(user, look):
    chosen, other = proposals(look)
    data = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit",
                                 {"outfit_id": str(chosen.pk)}, format="json").json()
    assert data["outfit_id"] == str(chosen.pk) and data["outfit_proposals"] == []
    assert not Outfit.objects.filter(pk=other.pk).exists()


def test_finalizing_keeps_the_outfits_people_made(user, look):
    """Issue #17: the outfits a user added with POST /outfits/ (and an earlier manual choice) survive
    a finalization, as proposals; only the stylist's other proposals go."""
    stylist = proposals(look, 2)
    product = ProductFactory(owner=user)
    added = client_for(user).post("/api/v1/outfits/", {"shooting_look_id": str(look.pk),
                                                       "outfit_product_ids": [str(product.pk)]}, format="json").json()
    data = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit",
                                 {"outfit_id": str(stylist[0].pk)}, format="json").json()
    assert data["outfit_id"] == str(stylist[0].pk)
    assert [p["id"] for p in data["outfit_proposals"]] == [added["id"]]
    assert not Outfit.objects.filter(pk=stylist[1].pk).exists()
    # A person's outfit chosen by the manual endpoint: the stylist's choice before it goes, the added one stays.
    manual = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/outfit", {"outfit_instruction": "Layered"},
                                   format="json").json()
    assert [p["id"] for p in manual["outfit_proposals"]] == [added["id"]]
    # The user's own outfit finalized: the earlier manual one stays a proposal.
    again = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit",
                                  {"outfit_id": added["id"]}, format="json").json()
    assert again["outfit_id"] == added["id"]
    assert [p["id"] for p in again["outfit_proposals"]] == [manual["outfit_id"]]


def test_finalize_option_b_creates_the_outfit(user, look):
    proposals(look)
    product = ProductFactory(owner=user)
    data = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit",
                                 {"outfit_product_ids": [str(product.pk)]}, format="json").json()
    assert data["outfit_product_ids"] == [str(product.pk)]
    assert Outfit.objects.filter(shooting_look=look).count() == 1


@pytest.mark.parametrize("body", [{}, {"outfit_id": None, "outfit_product_ids": []}, "both"], ids=["empty", "nulls", "both"])
def test_finalize_needs_exactly_one_option(user, look, body):
    chosen = proposals(look, 1)[0]
    if body == "both":
        body = {"outfit_id": str(chosen.pk), "outfit_instruction": "x"}
    response = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit", body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert response.json()["detail"][0]["type"] == "value_error"
    look.refresh_from_db()
    assert look.outfit_id is None


def test_finalize_refusals(user, look, other_user):
    other_look = LookFactory(shooting=look.shooting)
    foreign = proposals(other_look, 1)[0]
    pending = proposals(look, 1, status="PENDING")[0]
    url = f"/api/v1/shootings/looks/{look.pk}/finalize-outfit"
    client = client_for(user)
    response = client.post(url, {"outfit_id": str(foreign.pk)}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "Outfit does not belong to this look"})
    assert client.post(url, {"outfit_id": str(uuid.uuid4())}, format="json").json() == {"detail": "Outfit not found"}
    assert client.post(url, {"outfit_id": str(pending.pk)}, format="json").status_code == 400
    assert client_for(other_user).post(url, {"outfit_product_ids": []}, format="json").status_code in (403, 422)
    assert client_for(other_user).post(url, {"outfit_instruction": "x"}, format="json").status_code == 403
    assert Outfit.objects.count() == 2


def test_outfits_resource(user, look, other_user):
    client = client_for(user)
    product = ProductFactory(owner=user)
    created = client.post("/api/v1/outfits/", {"shooting_look_id": str(look.pk), "outfit_product_ids": [str(product.pk)]},
                          format="json")
    assert created.status_code == 200, created.json()
    outfit = created.json()
    assert outfit["shooting_look_id"] == str(look.pk) and outfit["source"] == "MANUAL"
    look.refresh_from_db()
    assert look.outfit_id is None  # a proposal, not yet THE outfit
    other = LookFactory(shooting=look.shooting)
    proposals(other, 1)
    assert client.get("/api/v1/outfits/").json()["count"] == 2
    assert [o["id"] for o in client.get(f"/api/v1/outfits/?shooting_look_id={look.pk}").json()["data"]] == [outfit["id"]]
    assert client.get(f"/api/v1/outfits/{outfit['id']}").json()["id"] == outfit["id"]
    assert client_for(other_user).get(f"/api/v1/outfits/{outfit['id']}").status_code == 403
    assert client_for(other_user).get("/api/v1/outfits/").json()["count"] == 0
    refused = client_for(other_user).post("/api/v1/outfits/", {"shooting_look_id": str(look.pk)}, format="json")
    assert refused.status_code == 403
