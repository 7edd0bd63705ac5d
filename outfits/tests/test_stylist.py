"""The stylist: local rules, and the LLM client against a real local HTTP server."""
import json

import pytest

from conftest import client_for
from outfits.models import Outfit
from outfits.stylist import (
    Candidate,
    LLMStylist,
    LocalStylist,
    NoDistinctOutfit,
    PermanentStylistError,
    StylingRequest,
    TransientStylistError,
)
from outfits.stylist import Outfit as StylistOutfit
from outfits.tasks import style_outfit_proposal
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.tests.factories import ProductFactory
from shootings.tests.factories import LookFactory, ShootingFactory
from tests.fake_http import FakeService, sequence, slow


def candidate(pid, placement, gender="UNISEX", season=None, brand=None, colour=None, filler=False):
    return Candidate(id=pid, name=f"Product {pid}", placement=placement, gender=gender, season=season, brand=brand,
                     colour=colour, is_filler=filler)


MAIN = candidate("main", "TOP", season="FW26", brand="Acme", colour="blue")
CANDIDATES = [
    candidate("jeans-acme", "BOTTOM", season="FW26", brand="Acme"),
    candidate("jeans-other", "BOTTOM"),
    candidate("skirt", "BOTTOM", gender="FEMALE", season="FW26", brand="Acme"),
    candidate("boots", "FOOTWEAR", season="FW26"),
    candidate("coat", "OUTERWEAR", gender="MALE"),
]


def request(index=0, gender="MALE"):
    return StylingRequest(look_product=MAIN, subject_gender=gender, candidates=CANDIDATES, proposal_index=index)


def test_local_stylist_completes_the_outfit_by_placement_gender_and_affinity():
    outfit = LocalStylist().propose(request())
    assert outfit.product_ids == ["jeans-acme", "boots", "coat"]  # same season+brand first; no skirt for him
    assert "Product jeans-acme" in outfit.instruction
    assert LocalStylist().propose(request()) == outfit  # deterministic
    second = LocalStylist().propose(request(index=1))
    assert second.product_ids[0] == "jeans-other"  # another proposal, another choice
    assert "coat" not in LocalStylist().propose(request(gender="FEMALE")).product_ids


@pytest.fixture
def llm(settings):
    with FakeService() as service:
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]  # a local server: http and loopback
        yield service


def answer(content):
    return 200, {"choices": [{"message": {"role": "assistant", "content": content}}]}, {}


def stylist(service, **kwargs):
    return LLMStylist(service.url, "key", "test-model", **kwargs)


def test_llm_stylist_asks_for_json_and_validates_it(llm):
    llm.route("POST /chat/completions", lambda r: answer(json.dumps(
        {"product_ids": ["boots", "jeans-acme"], "instruction": "Cuffed jeans over boots"})))
    outfit = stylist(llm).propose(request())
    assert (outfit.product_ids, outfit.instruction) == (["boots", "jeans-acme"], "Cuffed jeans over boots")
    sent = llm.requests[0]["body"]
    assert sent["model"] == "test-model" and sent["response_format"] == {"type": "json_object"}
    assert {c["id"] for c in json.loads(sent["messages"][1]["content"])["candidates"]} == {c.id for c in CANDIDATES}
    assert llm.requests[0]["headers"]["Authorization"] == "Bearer key"


def test_invalid_answers_are_asked_again(llm):
    llm.route("POST /chat/completions", sequence(
        answer("Sure! Here is an outfit: jeans"),
        answer(json.dumps({"product_ids": ["not-a-candidate"], "instruction": "x"})),
        answer(json.dumps({"product_ids": ["boots"], "instruction": "Boots"})),
    ))
    assert stylist(llm).propose(request()).product_ids == ["boots"]
    assert len(llm.requests) == 3
    assert "not valid" in llm.requests[2]["body"]["messages"][-1]["content"]


def test_never_valid_answers_fail(llm):
    llm.route("POST /chat/completions", lambda r: answer('{"product_ids": "boots"}'))
    with pytest.raises(PermanentStylistError, match="after 3 attempts"):
        stylist(llm).propose(request())


@pytest.mark.parametrize("status, error", [(503, TransientStylistError), (401, PermanentStylistError)])
def test_http_errors(llm, status, error):
    llm.route("POST /chat/completions", lambda r: (status, {"error": "no"}, {}))
    with pytest.raises(error):
        stylist(llm).propose(request())


def test_slow_answers_are_transient(llm):
    llm.route("POST /chat/completions", slow(1.0, answer("{}")))
    with pytest.raises(TransientStylistError, match="timed out"):
        stylist(llm, timeout=0.2).propose(request())


# --- the styling task -----------------------------------------------------------------------------
@pytest.fixture
def proposals(user):
    look = LookFactory(shooting=ShootingFactory(owner=user), product__placement="TOP", product__gender="UNISEX",
                       subject__gender="FEMALE")
    ProductFactory(owner=user, name="Skirt", placement="BOTTOM", gender="FEMALE")
    ProductFactory(owner=user, name="Trousers", placement="BOTTOM", gender="UNISEX")
    ProductFactory(owner=user, name="Loafers", placement="FOOTWEAR", gender="UNISEX")
    ProductFactory(owner=user, name="Archived", placement="BOTTOM", archived=True)
    return [Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="PENDING") for _ in range(2)]


@pytest.mark.django_db
def test_styling_fills_in_pending_proposals(user, proposals):
    for proposal in proposals:
        assert style_outfit_proposal.apply(args=[str(proposal.pk)]).get() == "completed"
    names = []
    for proposal in proposals:
        proposal.refresh_from_db()
        assert proposal.generation_status == "COMPLETED" and proposal.outfit_instruction
        names.append([link.product.name for link in proposal.outfit_product_links.select_related("product")])
    assert names[0] != names[1] and all("Archived" not in n for n in names)
    assert style_outfit_proposal.apply(args=[str(proposals[0].pk)]).get() == "skipped"  # duplicate message
    look_body = client_for(user).get(f"/api/v1/shootings/looks/{proposals[0].shooting_look_id}").json()
    assert {p["generation_status"] for p in look_body["outfit_proposals"]} == {"COMPLETED"}
    assert all(p["outfit_products"] for p in look_body["outfit_proposals"])


@pytest.mark.django_db
def test_styling_failures_are_recorded(user, proposals, llm, settings):
    settings.STYLIST, settings.LLM_BASE_URL, settings.WORK_MAX_RETRIES = "llm", llm.url, 1
    llm.route("POST /chat/completions", lambda r: (503, {}, {}))
    assert style_outfit_proposal.apply(args=[str(proposals[0].pk)]).get() == "failed"
    proposals[0].refresh_from_db()
    assert proposals[0].generation_status == "FAILED" and proposals[0].retry_count == 2
    assert "503" in proposals[0].generation_error
    llm.route("POST /chat/completions", lambda r: answer("not json"))
    assert style_outfit_proposal.apply(args=[str(proposals[1].pk)]).get() == "failed"
    proposals[1].refresh_from_db()
    assert proposals[1].generation_status == "FAILED" and "after 3 attempts" in proposals[1].generation_error


@pytest.mark.django_db
def test_candidates_are_the_shootings_audience_whoever_created_it(user, org, other_user):
    """The stylist draws from the products of the shooting's tenant (and public ones): not from
    every tenant when its creator is a superuser, and still when its creator left the organization."""
    from sartiq.accounts.models import Membership

    user.is_superuser = True
    user.save()
    look = LookFactory(shooting=ShootingFactory(owner=user), product__placement="TOP", subject__gender="FEMALE")
    ProductFactory(owner=other_user, name="Someone else's skirt", placement="BOTTOM", gender="FEMALE")
    ProductFactory(owner=user, name="Own trousers", placement="BOTTOM", gender="UNISEX")
    ProductFactory(owner=other_user, name="Public loafers", placement="FOOTWEAR", public=True)
    proposal = Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="PENDING")
    assert style_outfit_proposal.apply(args=[str(proposal.pk)]).get() == "completed"
    names = {link.product.name for link in proposal.outfit_product_links.select_related("product")}
    assert names == {"Own trousers", "Public loafers"}

    creator = UserFactory()
    Membership.objects.create(user=creator, organization=org, role="MEMBER")
    org_look = LookFactory(shooting=ShootingFactory(owner=creator, organization=org), product__placement="TOP",
                           subject__gender="FEMALE")
    ProductFactory(owner=user, organization=org, name="Team trousers", placement="BOTTOM")
    Membership.objects.filter(user=creator).delete()  # the creator left the organization
    proposal = Outfit.objects.create(shooting_look=org_look, source="STYLIST", generation_status="PENDING")
    assert style_outfit_proposal.apply(args=[str(proposal.pk)]).get() == "completed"
    assert "Team trousers" in {link.product.name for link in proposal.outfit_product_links.select_related("product")}


# --- the outbound guard (issue #10, finding 2) -------------------------------------------------------
@pytest.mark.django_db
def test_an_llm_on_an_unlisted_internal_host_is_never_reached(user, proposals, llm, settings):
    settings.STYLIST, settings.LLM_BASE_URL, settings.OUTBOUND_ALLOWED_HOSTS = "llm", llm.url, []
    assert style_outfit_proposal.apply(args=[str(proposals[0].pk)]).get() == "failed"  # permanent: not retried
    proposals[0].refresh_from_db()
    assert proposals[0].generation_error.startswith("The stylist may not be reached: Only https URLs are allowed")
    assert llm.connections == 0


@pytest.mark.django_db
def test_styling_errors_carry_a_status_and_a_sanitized_reason(user, proposals, llm, settings):
    settings.STYLIST, settings.LLM_BASE_URL = "llm", llm.url
    llm.route("POST /chat/completions", lambda r: (401, b"<html>nginx internal: upstream 10.0.3.7</html>",
                                                   {"Content-Type": "text/html"}))
    assert style_outfit_proposal.apply(args=[str(proposals[0].pk)]).get() == "failed"
    proposals[0].refresh_from_db()
    assert proposals[0].generation_error == "The stylist refused the request: HTTP 401"
    llm.route("POST /chat/completions", lambda r: answer(json.dumps(
        {"product_ids": ["\u001b]8;;evil\u0007" + "x" * 5000], "instruction": "x"})))
    assert style_outfit_proposal.apply(args=[str(proposals[1].pk)]).get() == "failed"
    proposals[1].refresh_from_db()
    assert "\x1b" not in proposals[1].generation_error and "\x07" not in proposals[1].generation_error
    assert len(proposals[1].generation_error) < 300


# --- distinct proposals (issue #17) ----------------------------------------------------------------
def test_local_proposals_differ_until_the_catalog_allows_no_other():
    small = [candidate("jeans", "BOTTOM"), candidate("chinos", "BOTTOM"), candidate("boots", "FOOTWEAR")]
    made = [LocalStylist().propose(StylingRequest(MAIN, "FEMALE", small, index)).product_ids for index in range(2)]
    assert made == [["chinos", "boots"], ["jeans", "boots"]]  # by name at equal affinity
    with pytest.raises(NoDistinctOutfit) as refused:
        LocalStylist().propose(StylingRequest(MAIN, "FEMALE", small, 2))
    assert str(refused.value) == (
        "No other distinct outfit for this look: the products that fit (bottom: 2, footwear: 1, outerwear: none) "
        "make 2 distinct outfits, and the look already has them. Add enabled products (bottom, footwear or "
        "outerwear) that fit the subject to get more proposals.")
    # Every mix is proposed once: 2 bottoms x 2 footwear.
    four = [*small, candidate("loafers", "FOOTWEAR")]
    mixes = [frozenset(LocalStylist().propose(StylingRequest(MAIN, "FEMALE", four, i)).product_ids) for i in range(4)]
    assert len(set(mixes)) == 4
    with pytest.raises(NoDistinctOutfit, match="make 4 distinct outfits"):
        LocalStylist().propose(StylingRequest(MAIN, "FEMALE", four, 4))


def test_a_local_proposal_skips_an_outfit_the_look_has_already():
    small = [candidate("jeans", "BOTTOM"), candidate("chinos", "BOTTOM"), candidate("boots", "FOOTWEAR")]
    assert LocalStylist().propose(StylingRequest(MAIN, "FEMALE", small, 0, taken=[["boots", "jeans"]])
                                  ).product_ids == ["chinos", "boots"]
    with pytest.raises(NoDistinctOutfit, match="make 1 outfit \\(the product on its own\\)"):
        LocalStylist().propose(StylingRequest(MAIN, "FEMALE", [], 0, taken=[[]]))


def test_the_llm_is_told_the_other_proposals_and_asked_again_when_it_repeats_one(llm):
    llm.route("POST /chat/completions", sequence(
        answer(json.dumps({"product_ids": ["boots", "jeans-acme"], "instruction": "Same again"})),
        answer(json.dumps({"product_ids": ["jeans-other"], "instruction": "Another"}))))
    taken = request()
    taken.taken = [["jeans-acme", "boots"]]
    outfit = stylist(llm).propose(taken)
    assert outfit.product_ids == ["jeans-other"]
    assert json.loads(llm.requests[0]["body"]["messages"][1]["content"])["other_proposals"] == [["jeans-acme", "boots"]]
    assert "repeats the products" in llm.requests[1]["body"]["messages"][-1]["content"]
    llm.route("POST /chat/completions", lambda r: answer(json.dumps({"product_ids": ["boots", "jeans-acme"],
                                                                     "instruction": "Stubborn"})))
    with pytest.raises(NoDistinctOutfit, match=r"proposed only products the look's other outfits have \(1 distinct"):
        stylist(llm).propose(taken)


@pytest.mark.django_db
def test_a_small_catalog_gets_as_many_proposals_as_it_has_outfits_and_says_why_not_more(user):
    """The issue's look: three proposals asked, two distinct outfits possible."""
    look = LookFactory(shooting=ShootingFactory(owner=user), product__placement="TOP", subject__gender="FEMALE")
    ProductFactory(owner=user, name="Jeans", placement="BOTTOM", gender="UNISEX")
    ProductFactory(owner=user, name="Skirt", placement="BOTTOM", gender="FEMALE")
    ProductFactory(owner=user, name="Boots", placement="FOOTWEAR", gender="UNISEX")
    proposals = [Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="PENDING")
                 for _ in range(3)]
    outcomes = [style_outfit_proposal.apply(args=[str(p.pk)]).get() for p in proposals]
    assert outcomes == ["completed", "completed", "failed"]
    body = client_for(user).get(f"/api/v1/shootings/looks/{look.pk}").json()
    done = [p for p in body["outfit_proposals"] if p["generation_status"] == "COMPLETED"]
    assert len({frozenset(p["outfit_product_ids"]) for p in done}) == 2
    [failed] = [p for p in body["outfit_proposals"] if p["generation_status"] == "FAILED"]
    assert failed["generation_error"].startswith("No other distinct outfit for this look: the products that fit "
                                                 "(bottom: 2, footwear: 1, outerwear: none) make 2 distinct outfits")


@pytest.mark.django_db
def test_a_proposal_that_another_finished_with_meanwhile_is_styled_again(user, monkeypatch):
    """Proposals run in parallel: one whose stylist answered with the products another proposal
    got meanwhile is not kept; it is asked again (transient), and then knows of the other."""
    from outfits import styling

    look = LookFactory(shooting=ShootingFactory(owner=user), product__placement="TOP", subject__gender="FEMALE")
    jeans = ProductFactory(owner=user, name="Jeans", placement="BOTTOM", gender="UNISEX")
    first, second = [Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="PENDING")
                     for _ in range(2)]
    assert style_outfit_proposal.apply(args=[str(first.pk)]).get() == "completed"

    class Parallel:  # answered as if the first proposal were not done yet
        def propose(self, request):
            return StylistOutfit([str(jeans.pk)], "Same")

    monkeypatch.setattr(styling, "get_stylist", Parallel)
    assert styling.proposal_style(outfit_id=second.pk).state == "transient"
    second.refresh_from_db()
    assert (second.generation_status, second.retry_count) == ("PENDING", 1)
    assert second.generation_error == "Another proposal of this look got the same products meanwhile"
    assert not second.outfit_product_links.exists()
