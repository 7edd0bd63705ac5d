"""ETag / If-None-Match on the reads a web app polls (sartiq/api/conditional.py): a 304 before the
body is built while nothing the body shows changed, a new tag as soon as anything did."""
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from integrations.models import ExternalImagePush
from integrations.pushing import push_confirm, push_give_up
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.api import conditional
from sartiq.catalog.tests.factories import ProductFactory
from sartiq.media import storage
from shootings.tests.factories import (
    LookFactory,
    RevisionImageFactory,
    ShootingFactory,
    ShotFactory,
    add_revision,
    fully_loaded_look,
)
from shots import services as shot_services
from shots.models import Shot

pytestmark = pytest.mark.django_db

READS = ("detail", "looks", "looks-summary", "shot")


def urls(shooting, shot) -> dict:
    return {
        "detail": f"/api/v1/shootings/{shooting.pk}",
        "looks": f"/api/v1/shootings/{shooting.pk}/looks",
        "looks-summary": f"/api/v1/shootings/{shooting.pk}/looks-summary",
        "shot": f"/api/v1/shots/{shot.pk}",
        "list": "/api/v1/shootings/",
    }


@pytest.fixture(autouse=True)
def one_bucket_of_time(monkeypatch):
    """The tags digest the media URLs' bucket of time (MEDIA_URL_BUCKET_SECONDS): a test that crossed
    a bucket's edge would see every tag change. Here time stays in one bucket (the buckets
    themselves: test_media_urls_change_the_tag_when_their_expiry_moves)."""
    now = 10**9
    monkeypatch.setattr(conditional, "url_version", lambda: storage.url_version(now))


@pytest.fixture
def tree(user):
    """A shooting with a fully loaded look (shots, revisions, images, pushes, outfits with products)
    and another shooting of the same owner."""
    shooting = ShootingFactory(owner=user)
    look = fully_loaded_look(shooting, revisions=2, shots=1)
    other = ShootingFactory(owner=user)
    other_look = fully_loaded_look(other, revisions=1, shots=1)
    return {"shooting": shooting, "look": look, "shot": look.shots.get(), "other": other,
            "other_shot": other_look.shots.get()}


def tags(client, tree) -> dict:
    found = {}
    for name, url in urls(tree["shooting"], tree["shot"]).items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        found[name] = response["ETag"]
    return found


def test_a_read_answers_304_while_nothing_changed(user, tree):
    client = client_for(user)
    for name, url in urls(tree["shooting"], tree["shot"]).items():
        first = client.get(url)
        assert first.status_code == 200
        etag = first["ETag"]
        assert etag.startswith('W/"') and first["Cache-Control"] == "private, no-cache"
        assert client.get(url)["ETag"] == etag  # stable
        for header in (etag, etag.removeprefix("W/"), f'"nope", {etag}', "*"):  # weak comparison, lists, *
            response = client.get(url, HTTP_IF_NONE_MATCH=header)
            assert (response.status_code, response.content) == (304, b""), (name, header)
            assert response["ETag"] == etag and response["Cache-Control"] == "private, no-cache"
        assert client.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200
        assert client.head(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        # The path with a trailing slash is the same read.
        assert client.get(url.rstrip("/") + "/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_query_is_part_of_the_tag(user, tree):
    client = client_for(user)
    base = urls(tree["shooting"], tree["shot"])
    for url in (base["looks"], base["list"]):
        assert client.get(f"{url}?limit=1")["ETag"] != client.get(url)["ETag"]
        # The same parameters in another order are the same read.
        assert client.get(f"{url}?skip=0&limit=5")["ETag"] == client.get(f"{url}?limit=5&skip=0")["ETag"]


def test_a_304_costs_three_queries(user, tree):
    """The token's user, the versions (with the access check's columns), the caller's memberships;
    the personal list: the user and its page's one query (rows, versions, count), no memberships."""
    client = client_for(user)
    for name, url in urls(tree["shooting"], tree["shot"]).items():
        etag = client.get(url)["ETag"]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert len(queries) == (2 if name == "list" else 3), (name, [q["sql"] for q in queries])


def changes_under_the_shooting(tree, user):
    """Each a change anywhere under the shooting, as services, workers and the admin make them."""
    shot, look = tree["shot"], tree["look"]
    revision = shot.current_revision
    push = ExternalImagePush.objects.filter(revision=revision).get()
    return {
        "a revision added": lambda: shot_services.revision_create(user=user, shot=shot, shot_status="REVIEW",
                                                                  images=[]),
        "approved": lambda: shot_services.shot_approve(user=user, shot=Shot.objects.get(pk=shot.pk)),
        "an image added": lambda: RevisionImageFactory(shot_revision=revision),
        "an outfit changed": lambda: Outfit.objects.filter(pk=look.outfit_id).update(outfit_instruction="Other"),
        "an outfit product added": lambda: OutfitProduct.objects.create(
            outfit_id=look.outfit_id, product=ProductFactory(owner=user), position=9),
        "a push failed (worker)": lambda: (ExternalImagePush.objects.filter(pk=push.pk).update(push_status="PENDING"),
                                           push_give_up(push.pk, "gave up")),
        "a push confirmed (worker)": lambda: (
            ExternalImagePush.objects.filter(pk=push.pk).update(push_status="AWAITING_CONFIRMATION"),
            push_confirm(push=push, confirmed=True)),
    }


def test_any_change_under_the_shooting_changes_its_tags_and_not_the_other_shootings(user, tree):
    client = client_for(user)
    other_urls = urls(tree["other"], tree["other_shot"])
    for what, change in changes_under_the_shooting(tree, user).items():
        before = tags(client, tree)
        other_before = {name: client.get(other_urls[name])["ETag"] for name in READS}
        change()
        after = tags(client, tree)
        changed = {name for name in before if before[name] != after[name]}
        if what.startswith("an outfit"):  # a shot does not show outfits
            assert changed >= {"detail", "looks", "looks-summary", "list"}, what
        else:
            assert changed == {*READS, "list"}, what
        assert {name: client.get(other_urls[name])["ETag"] for name in READS} == other_before, what


def test_a_change_in_another_shooting_leaves_the_tags_but_the_list(user, tree):
    client = client_for(user)
    before = tags(client, tree)
    add_revision(tree["other_shot"], "REVIEW")
    after = tags(client, tree)
    assert {name for name in before if before[name] != after[name]} == {"list"}


def test_an_admin_edit_changes_the_tags(client, superuser, user, tree):
    api = client_for(user)
    before = tags(api, tree)
    client.force_login(superuser)
    look = tree["look"]
    inlines = {f"{prefix}-{name}": value for prefix in ("looks", "shots", "images", "outfit_product_links")
               for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                                   ("MAX_NUM_FORMS", "1000"))}
    response = client.post(reverse("admin:shootings_shootinglook_change", args=[look.pk]), {
        **inlines, "subject": str(look.subject_id), "product": str(look.product_id), "file_format": "PNG"})
    assert response.status_code == 302
    after = tags(api, tree)
    # (A shot's tag is its shooting's version too: it changes with any change in the shooting.)
    assert {name for name in before if before[name] != after[name]} >= {"detail", "looks", "looks-summary", "list"}


def test_a_catalog_rename_changes_the_tags(user, tree):
    client = client_for(user)
    before = tags(client, tree)
    shot_type = tree["shot"].shot_type
    shot_type.name = "Renamed"
    shot_type.save()
    after = tags(client, tree)
    assert all(before[name] != after[name] for name in before)


def test_a_product_shown_in_an_outfit_follows_its_latest_look_in_another_shooting(user, tree):
    """The outfit's product shows the status of its own latest look, which is in another shooting."""
    client = client_for(user)
    product = OutfitProduct.objects.filter(outfit_id=tree["look"].outfit_id).first().product
    shot = ShotFactory(shooting_look=LookFactory(shooting=tree["other"], product=product))
    before = tags(client, tree)
    add_revision(shot, "REVIEW")
    after = tags(client, tree)
    assert {name for name in before if before[name] != after[name]} == {"detail", "looks", "list"}
    look = client.get(urls(tree["shooting"], tree["shot"])["detail"]).json()["looks"][0]
    shown = [p for outfit in [look["outfit"], *look["outfit_proposals"]] for p in outfit["outfit_products"]
             if p["id"] == str(product.pk)]
    assert shown and all(p["shot_status"] == "REVIEW" for p in shown)


def test_the_caller_is_part_of_the_tag_and_a_lost_membership_is_a_403_not_a_304(user, org, member):
    shooting = ShootingFactory(owner=user, organization=org)
    shot = ShotFactory(shooting_look=LookFactory(shooting=shooting))
    add_revision(shot, "PROPOSAL")
    read = urls(shooting, shot)
    owner_tags = {name: client_for(user).get(read[name])["ETag"] for name in READS}
    member_client = client_for(member)
    member_tags = {name: member_client.get(read[name])["ETag"] for name in READS}
    assert all(owner_tags[name] != member_tags[name] for name in READS)
    Membership.objects.filter(user=member, organization=org).delete()
    for name in READS:
        response = member_client.get(read[name], HTTP_IF_NONE_MATCH=member_tags[name])
        assert response.status_code in (403, 404), name
        assert "ETag" not in response
    # A new role is a new tag too.
    MembershipFactory(user=member, organization=org, role=MembershipRole.ADMIN)
    assert member_client.get(read["detail"], HTTP_IF_NONE_MATCH=member_tags["detail"]).status_code == 200


def test_the_list_follows_its_page(user, tree):
    client = client_for(user)
    url = urls(tree["shooting"], tree["shot"])["list"]
    etag = client.get(url)["ETag"]
    ShootingFactory(owner=UserFactory())  # another user's: not on this list
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    ShootingFactory(owner=user)
    assert client.get(url)["ETag"] != etag
    etag = client.get(f"{url}?statuses=APPROVED")["ETag"]
    add_revision(tree["shot"], "PROPOSAL")  # the shooting leaves the APPROVED filter
    assert client.get(f"{url}?statuses=APPROVED")["ETag"] != etag


def test_media_urls_change_the_tag_when_their_expiry_moves(settings):
    """Local signed URLs are the same bytes within one bucket of their expiry; S3 URLs are signed
    with the current second, so the tag moves with the bucket of time they were made in."""
    bucket = settings.MEDIA_URL_BUCKET_SECONDS
    start = (10**9 // bucket) * bucket
    assert storage.url_version(start + 1) == storage.url_version(start + bucket - 1)
    assert storage.url_version(start + 1) != storage.url_version(start + bucket + 1)
    s3 = {"default": {"BACKEND": "storages.backends.s3.S3Storage",
                      "OPTIONS": {"bucket_name": "media", "access_key": "AKIA1", "secret_key": "s"}},
          "staticfiles": settings.STORAGES["staticfiles"]}
    with override_settings(STORAGES=s3):
        assert storage.url_version(start + 1) == storage.url_version(start + bucket - 1)
        assert storage.url_version(start + 1) != storage.url_version(start + bucket + 1)
        signed = storage.url_version(start + 1)
    with override_settings(STORAGES={**s3, "default": {**s3["default"], "OPTIONS": {
            **s3["default"]["OPTIONS"], "access_key": "AKIA2"}}}):
        assert storage.url_version(start + 1) != signed  # another key signs other URLs
    with override_settings(STORAGES={**s3, "default": {**s3["default"], "OPTIONS": {
            **s3["default"]["OPTIONS"], "querystring_auth": False}}}):
        assert storage.url_version(start + 1) == storage.url_version(start + 10 * bucket)  # unsigned
