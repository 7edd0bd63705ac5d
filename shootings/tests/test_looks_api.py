"""Looks: creation from products and subjects, reads with filters, updates, deletion."""
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for, sent
from outfits.models import Outfit
from sartiq.catalog.tests import factories as f
from shootings.models import ShootingLook
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision, look_with_shots
from shots.models import Generation, Shot

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(user):
    """A shooting with guidelines, and a small catalog of the user's."""
    st = [f.ShotTypeFactory(owner=user, name=n) for n in ("Front", "Back", "Detail")]
    subjects = {"ava": f.SubjectFactory(owner=user, name="Ava", gender="FEMALE"),
                "leo": f.SubjectFactory(owner=user, name="Leo", gender="MALE")}
    products = {"tee": f.ProductFactory(owner=user, name="Tee", gender="UNISEX"),
                "dress": f.ProductFactory(owner=user, name="Dress", gender="FEMALE"),
                "jeans": f.ProductFactory(owner=user, name="Jeans", gender="MALE")}
    pose = f.PosePresetFactory(owner=user, shot_type=st[0])
    design = f.SetDesignFactory(owner=user)
    style = f.StyleFactory(owner=user)
    resolution = f.ResolutionPresetFactory(owner=user)
    background = f.BackgroundPresetFactory(owner=user)
    guidelines = f.ShootingGuidelinesFactory(owner=user, set_design=design, style=style, resolution_preset=resolution,
                                             background_preset=background, file_format="PNG")
    guidelines.shot_types.set(st[:2])
    guidelines.subjects.set(subjects.values())
    guidelines.pose_presets.set([pose])
    shooting = ShootingFactory(owner=user, default_guidelines=guidelines)
    return {"shooting": shooting, "shot_types": st, "subjects": subjects, "products": products, "pose": pose,
            "design": design, "style": style, "resolution": resolution, "background": background}


def create(user, shooting, body):
    return client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")


def pairs(body, setup):
    names = {str(p.pk): k for k, p in setup["products"].items()}
    subjects = {str(s.pk): k for k, s in setup["subjects"].items()}
    return {(subjects[look["subject_id"]], names[look["product_id"]]) for look in body["looks"]}


def ids(*objs):
    return [str(o.pk) for o in objs]


@pytest.mark.parametrize(
    "preference, expected",
    [(None, {("ava", "tee"), ("leo", "tee"), ("ava", "dress"), ("leo", "jeans")}),
     ("UNISEX", {("ava", "tee"), ("leo", "tee"), ("ava", "dress"), ("leo", "jeans")}),
     ("MALE", {("leo", "tee"), ("ava", "dress"), ("leo", "jeans")}),
     ("FEMALE", {("ava", "tee"), ("ava", "dress"), ("leo", "jeans")})],
)
def test_gender_pairing(user, setup, preference, expected):
    body = {"product_ids": ids(*setup["products"].values()), "unisex_gender_preference": preference}
    response = create(user, setup["shooting"], body)
    assert response.status_code == 200, response.json()
    assert pairs(response.json(), setup) == expected
    assert ShootingLook.objects.count() == len(expected)


def test_defaults_come_from_the_guidelines(user, setup):
    body = create(user, setup["shooting"], {"product_ids": ids(setup["products"]["tee"])}).json()
    assert len(body["looks"]) == 2  # both guideline subjects
    look = body["looks"][0]
    assert {s["shot_type"]["name"] for s in look["shots"]} == {"Front", "Back"}
    assert look["set_design_id"] == str(setup["design"].pk) and look["set_design"]["id"] == str(setup["design"].pk)
    assert look["style_id"] == str(setup["style"].pk)
    assert look["resolution_preset_id"] == str(setup["resolution"].pk) and look["width"] is None
    assert look["background_preset_id"] == str(setup["background"].pk)
    assert look["file_format"] == "PNG"
    assert [p["id"] for p in look["pose_presets"]] == [str(setup["pose"].pk)]
    assert look["status"] == "DRAFT" and look["shot_status"] == "PENDING"
    assert body["generation_results"] == [] and body["total_generations_created"] == 0


def test_request_values_override_the_guidelines(user, setup):
    other_design, other_pose = f.SetDesignFactory(owner=user), f.PosePresetFactory(owner=user)
    body = {
        "product_ids": ids(setup["products"]["dress"]),
        "subject_ids": ids(setup["subjects"]["ava"]),
        "shot_type_ids": ids(setup["shot_types"][2]),
        "default_width": 800, "default_height": 1000, "default_file_format": "WEBP",
        "default_instructions": "Soft light", "set_design_id": str(other_design.pk),
        "pose_preset_ids": ids(other_pose), "status": "READY",
    }
    look = create(user, setup["shooting"], body).json()["looks"][0]
    assert [s["shot_type"]["name"] for s in look["shots"]] == ["Detail"]
    assert (look["width"], look["height"], look["resolution_preset_id"]) == (800, 1000, None)
    assert look["file_format"] == "WEBP" and look["instructions"] == "Soft light" and look["status"] == "READY"
    assert look["set_design_id"] == str(other_design.pk)
    assert [p["id"] for p in look["pose_presets"]] == ids(other_pose)


def test_product_outfit_configs_give_each_product_its_outfit(user, setup):
    extra = f.ProductFactory(owner=user, name="Belt")
    style = f.StyleFactory(owner=user)
    body = {
        "subject_ids": ids(setup["subjects"]["leo"]),
        "product_outfit_configs": [{
            "product_id": str(setup["products"]["jeans"].pk), "outfit_product_ids": ids(extra),
            "outfit_instruction": "Tucked in", "outfit_ref_imgs_urls": ["https://cdn.example.com/ref.png", {"url": "https://cdn.example.com/b.png"}],
            "style_id": str(style.pk), "file_format": "AVIF",
        }],
    }
    look = create(user, setup["shooting"], body).json()["looks"][0]
    assert look["outfit"]["outfit_instruction"] == "Tucked in"
    assert look["outfit_product_ids"] == ids(extra) and look["outfit_instruction"] == "Tucked in"
    assert look["outfit_ref_imgs_urls"] == ["https://cdn.example.com/ref.png", "https://cdn.example.com/b.png"]
    assert look["style_id"] == str(style.pk) and look["file_format"] == "AVIF"
    assert look["outfit_proposals"] == []


def test_product_filters_select_products_like_the_product_list(user, setup):
    body = {"product_filters": {"gender": ["FEMALE"], "search": "dre"}, "subject_ids": ids(setup["subjects"]["ava"])}
    assert pairs(create(user, setup["shooting"], body).json(), setup) == {("ava", "dress")}


def test_bad_product_filters_are_located_in_the_body(user, setup):
    response = create(user, setup["shooting"], {"product_filters": {"gender": ["ALIEN"], "limit": 0}})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "product_filters", "gender", 0],
                                                             ["body", "product_filters", "limit"]]
    assert not ShootingLook.objects.exists()


def test_generate_outfit_records_pending_proposals_and_enqueues_after_commit(user, setup,
                                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        body = create(user, setup["shooting"], {"product_ids": ids(setup["products"]["tee"]),
                                                "generate_outfit": True}).json()
    proposals = Outfit.objects.filter(shooting_look_id__in=[look["id"] for look in body["looks"]])
    assert proposals.count() == 2 * 3
    assert set(proposals.values_list("generation_status", flat=True)) == {"PENDING"}
    assert len(body["looks"][0]["outfit_proposals"]) == 3
    assert len(sent(callbacks)) == 1  # the stylist tasks are sent only once the looks are committed
    draft = client_for(user).get(f"/api/v1/shootings/{setup['shooting'].pk}/draft-summary").json()
    assert draft == {"total_draft_looks": 2, "generating_count": 2}


def test_generate_base_images_records_one_generation_per_shot(user, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        body = create(user, setup["shooting"], {"product_ids": ids(setup["products"]["dress"]),
                                                "generate_base_images": True}).json()
    shots = {s["id"]: look["id"] for look in body["looks"] for s in look["shots"]}
    assert body["total_generations_created"] == len(shots) == 2
    for result in body["generation_results"]:
        assert shots[result["shot_id"]] == result["look_id"]
        assert Generation.objects.get(pk=result["generation_id"]).status == "PENDING"
    assert len(sent(callbacks)) == 1


def test_creating_many_looks_runs_a_constant_number_of_queries(user, setup):
    shooting = setup["shooting"]
    few = [f.ProductFactory(owner=user, gender="FEMALE") for _ in range(2)]
    many = [f.ProductFactory(owner=user, gender="FEMALE") for _ in range(40)]
    counts = []
    for products in (few, many):
        body = {"product_ids": ids(*products), "subject_ids": ids(setup["subjects"]["ava"]), "generate_outfit": True,
                "generate_base_images": True}
        with CaptureQueriesContext(connection) as ctx:
            response = create(user, shooting, body)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert ShootingLook.objects.count() == 42 and Shot.objects.count() == 84


@pytest.mark.parametrize(
    "body, status, detail",
    [({}, 422, None),
     ({"product_ids": [str(uuid.uuid4())]}, 404, "Product not found"),
     ({"product_ids": "PRODUCT", "subject_ids": []}, 422, None)],
    ids=["no products", "unknown product", "malformed"],
)
def test_look_creation_errors_change_nothing(user, setup, body, status, detail):
    response = create(user, setup["shooting"], body)
    assert response.status_code == status
    if detail:
        assert response.json() == {"detail": detail}
    assert not ShootingLook.objects.exists()


def test_other_tenants_products_and_shootings_are_refused(user, other_user, setup):
    theirs = f.ProductFactory(owner=other_user)
    assert create(user, setup["shooting"], {"product_ids": ids(theirs)}).status_code == 403
    assert create(other_user, setup["shooting"], {"product_ids": ids(setup["products"]["tee"])}).status_code == 403
    assert not ShootingLook.objects.exists()


def test_without_subjects_anywhere_is_400(user):
    shooting = ShootingFactory(owner=user)
    response = create(user, shooting, {"product_ids": ids(f.ProductFactory(owner=user))})
    assert response.status_code == 400


# --- reads ----------------------------------------------------------------------------------------
def test_look_filters(user):
    shooting = ShootingFactory(owner=user)
    a = LookFactory(shooting=shooting, product__name="Blue Shirt", product__sku="SH-100",
                    product__product_type="Shirt", assignee=user)
    b = LookFactory(shooting=shooting, product__name="Red Skirt", product__sku="SK-200", product__product_type="Skirt")
    client = client_for(user)

    def found(query):
        return {item["id"] for item in client.get(f"/api/v1/shootings/{shooting.pk}/looks?{query}").json()["data"]}

    assert found(f"product_ids={a.product_id}&product_ids={b.product_id}") == {str(a.pk), str(b.pk)}
    assert found(f"product_ids={b.product_id}") == {str(b.pk)}
    assert found("product_name=shirt") == {str(a.pk)}
    assert found("product_sku=sk-2") == {str(b.pk)}
    assert found("product_type=SKIRT") == {str(b.pk)}
    assert found(f"assignee_ids={user.pk}") == {str(a.pk)}
    assert found(f"assignee_ids={uuid.uuid4()}") == set()
    assert found("limit=1&skip=1") == {str(b.pk)}


def test_nested_and_flat_look_reads(user, other_user):
    shooting, other = ShootingFactory(owner=user), ShootingFactory(owner=user)
    look = LookFactory(shooting=shooting)
    client = client_for(user)
    assert client.get(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}").json()["id"] == str(look.pk)
    assert client.get(f"/api/v1/shootings/looks/{look.pk}").json()["id"] == str(look.pk)
    wrong = client.get(f"/api/v1/shootings/{other.pk}/looks/{look.pk}")
    assert (wrong.status_code, wrong.json()) == (404, {"detail": "Look not found"})
    assert client.get(f"/api/v1/shootings/looks/{uuid.uuid4()}").json() == {"detail": "Look not found"}
    assert client_for(other_user).get(f"/api/v1/shootings/looks/{look.pk}").status_code == 403
    assert client_for(other_user).get(f"/api/v1/shootings/{shooting.pk}/looks").status_code == 403
    assert client.get(f"/api/v1/shootings/{uuid.uuid4()}/looks").json() == {"detail": "Shooting not found"}


def test_look_reads_in_an_organization(user, org, member, other_user):
    shooting = ShootingFactory(owner=user, organization=org)
    look = LookFactory(shooting=shooting)
    personal = ShootingFactory(owner=member)
    assert client_for(member).get(f"/api/v1/shootings/{shooting.pk}/looks?organization_id={org.pk}").json()[
        "count"] == 1
    assert client_for(member).get(f"/api/v1/shootings/looks/{look.pk}?organization_id={org.pk}").status_code == 200
    assert client_for(other_user).get(f"/api/v1/shootings/{shooting.pk}/looks?organization_id={org.pk}").status_code == 403
    mismatch = client_for(member).get(f"/api/v1/shootings/{personal.pk}/looks?organization_id={org.pk}")
    assert (mismatch.status_code, mismatch.json()) == (404, {"detail": "Shooting not found"})


# --- updates --------------------------------------------------------------------------------------
def test_update_every_field(user, org):
    shooting = ShootingFactory(owner=user)
    look = LookFactory(shooting=shooting, width=100, height=200)
    subject, product = f.SubjectFactory(owner=user), f.ProductFactory(owner=user)
    style, background = f.StyleFactory(owner=user), f.BackgroundPresetFactory(owner=user)
    resolution = f.ResolutionPresetFactory(owner=user)
    outfit = Outfit.objects.create(shooting_look=look)
    body = {"subject_id": str(subject.pk), "product_id": str(product.pk), "style_id": str(style.pk),
            "background_preset_id": str(background.pk), "resolution_preset_id": str(resolution.pk),
            "file_format": "PNG", "status": "READY", "assignee_id": str(user.pk), "outfit_id": str(outfit.pk)}
    response = client_for(user).put(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    for key, value in body.items():
        assert data[key] == value, key
    assert (data["width"], data["height"]) == (None, None)  # the preset cleared the explicit size
    data = client_for(user).put(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}", {"width": 640}, format="json").json()
    assert (data["width"], data["resolution_preset_id"], data["status"]) == (640, None, "READY")


def test_preset_and_size_together_is_422(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    body = {"resolution_preset_id": str(f.ResolutionPresetFactory(owner=user).pk), "width": 10}
    response = client_for(user).put(f"/api/v1/shootings/{look.shooting_id}/looks/{look.pk}", body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "value_error"


def test_shot_type_ids_add_and_remove_shots(user):
    shooting = ShootingFactory(owner=user)
    look = LookFactory(shooting=shooting)
    front, back, detail = (f.ShotTypeFactory(owner=user, name=n) for n in ("Front", "Back", "Detail"))
    kept = ShotFactory(shooting_look=look, shot_type=front)
    add_revision(kept, "APPROVED")
    ShotFactory(shooting_look=look, shot_type=back)
    url = f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}"
    data = client_for(user).put(url, {"shot_type_ids": [str(front.pk), str(detail.pk)]}, format="json").json()
    assert {s["shot_type"]["name"] for s in data["shots"]} == {"Front", "Detail"}
    assert next(s for s in data["shots"] if s["shot_type"]["name"] == "Front")["id"] == str(kept.pk)
    assert Shot.objects.filter(shooting_look=look).count() == 2


def test_update_refusals(user, other_user):
    shooting = ShootingFactory(owner=user)
    look, other_look = LookFactory(shooting=shooting), LookFactory(shooting=shooting)
    foreign_outfit = Outfit.objects.create(shooting_look=other_look)
    url = f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}"
    client = client_for(user)
    response = client.put(url, {"outfit_id": str(foreign_outfit.pk)}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "Outfit does not belong to this look"})
    response = client.put(url, {"assignee_id": str(other_user.pk)}, format="json")
    assert (response.status_code, response.json()) == (400, {"detail": "The assignee cannot access this shooting"})
    assert client.put(url, {"subject_id": str(f.SubjectFactory(owner=other_user).pk)}, format="json").status_code == 403
    assert client_for(other_user).put(url, {"status": "READY"}, format="json").status_code == 403
    look.refresh_from_db()
    assert (look.outfit_id, look.assignee_id, look.status) == (None, None, "DRAFT")


def test_delete_a_look(user):
    shooting = ShootingFactory(owner=user)
    look = look_with_shots(shooting, statuses=["APPROVED"])
    response = client_for(user).delete(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}")
    assert response.json() == {"message": "Look deleted successfully"}
    assert not ShootingLook.objects.exists() and not Shot.objects.exists()


def test_creating_looks_from_many_outfit_configs_runs_a_constant_number_of_queries(user, setup):
    """Presets and outfit references of every config are checked in one query per kind."""
    shooting, extra = setup["shooting"], f.ProductFactory(owner=user)
    counts = []
    for n in (2, 30):
        configs = [{"product_id": str(f.ProductFactory(owner=user, gender="FEMALE").pk),
                    "style_id": str(setup["style"].pk), "outfit_product_ids": [str(extra.pk)],
                    "outfit_instruction": "Layered"} for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            response = create(user, shooting, {"product_outfit_configs": configs,
                                               "subject_ids": ids(setup["subjects"]["ava"])})
        assert response.status_code == 200, response.json()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert all(look["outfit_product_ids"] == ids(extra) for look in response.json()["looks"])


def test_one_request_creates_a_bounded_number_of_looks_and_shots(user, setup, settings):
    """subjects x products x shot types could otherwise insert millions of rows in one call."""
    settings.LOOKS_PER_REQUEST_MAX, settings.SHOTS_PER_REQUEST_MAX = 3, 7
    body = {"product_ids": ids(*setup["products"].values())}  # 4 pairs with the guidelines' subjects
    response = create(user, setup["shooting"], body)
    assert (response.status_code, response.json()) == (
        400, {"detail": "This request would create 4 looks; at most 3 per request"})
    response = create(user, setup["shooting"], {"product_ids": ids(setup["products"]["tee"], setup["products"]["dress"]),
                                                "shot_type_ids": ids(*setup["shot_types"])})
    assert (response.status_code, response.json()) == (
        400, {"detail": "This request would create 9 shots; at most 7 per request"})
    assert not ShootingLook.objects.exists() and not Shot.objects.exists()
    settings.LOOKS_PER_REQUEST_MAX, settings.SHOTS_PER_REQUEST_MAX = 4, 8
    assert create(user, setup["shooting"], body).status_code == 200
