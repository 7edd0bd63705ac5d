"""Staff review in the admin, through Django's test client."""
import datetime
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.review_admin import ReviewQueueAdmin
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Shot, ShotRevision

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:shots_reviewshot_changelist")


def review_url(shot):
    return reverse("admin:shots_reviewshot_review", args=[shot.pk])


def make_shot(shooting, status, name, days=10, shot_type_name="Front", assignee=None, image=None):
    look = LookFactory(shooting=shooting, product__name=name, assignee=assignee)
    shot = ShotFactory(shooting_look=look, shot_type__name=shot_type_name)
    if status:
        attach_revision(shot, status, image)
    return shot


def stored(owner, image=None) -> MediaResource:
    """A media resource holding `image` (png bytes, a tiny square by default)."""
    return MediaResource.objects.create(
        owner=owner, file=default_storage.save("r/x.png", ContentFile(image or png_bytes())), content_hash="0",
        extension="png", file_size=1)


def attach_revision(shot, status, image=None):
    """A new current revision whose image is stored."""
    revision = add_revision(shot, status)
    first = revision.images.first()
    first.image_media = stored(shot.shooting_look.shooting.owner, image)
    first.save()
    return revision


@pytest.fixture
def world(user, org):
    """The org's shootings (due in 5 and 20 days) with shots in every status, and another org's."""
    reviewer = UserFactory(is_staff=True)
    MembershipFactory(user=reviewer, organization=org, role=MembershipRole.MEMBER)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    soon = ShootingFactory(owner=user, organization=org, name="Soon", brand="Acme",
                           due_date=timezone.now() + datetime.timedelta(days=5))
    later = ShootingFactory(owner=user, organization=org, name="Later", brand="Zeta",
                            due_date=timezone.now() + datetime.timedelta(days=20))
    shots = {
        "proposal": make_shot(later, "PROPOSAL", "Linen Shirt", assignee=reviewer),
        "review": make_shot(soon, "REVIEW", "Wool Coat", shot_type_name="Back"),
        "post_prod": make_shot(soon, "POST_PROD", "Silk Dress"),
        "approved": make_shot(soon, "APPROVED", "Done Tee"),
        "pending": make_shot(soon, None, "New Jeans"),
    }
    outsider = ShootingFactory(owner=UserFactory(), organization=MembershipFactory().organization, name="Theirs")
    shots["foreign"] = make_shot(outsider, "PROPOSAL", "Foreign Hat")
    return {"reviewer": reviewer, "shots": shots, "soon": soon, "later": later}


def rows(response):
    return re.findall(r'<tr[^>]*>.*?name="_selected_action" value="([0-9a-f-]+)"', response.content.decode(), re.S)


def names(world, ids):
    by_id = {str(shot.pk): key for key, shot in world["shots"].items()}
    return [by_id[i] for i in ids]


def test_only_staff_reach_the_admin(client, user):
    client.force_login(user)  # not staff
    assert client.get(QUEUE).status_code == 302
    staff = UserFactory(is_staff=True)  # staff, but not a reviewer
    client.force_login(staff)
    assert client.get(QUEUE).status_code == 403


def test_the_queue_lists_reviewable_shots_oldest_due_first_with_thumbnails(client, world):
    client.force_login(world["reviewer"])
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert names(world, rows(response)) == ["review", "post_prod", "proposal"]  # soon before later
    html = response.content.decode()
    assert html.count('<img src="/media/r/') == 3
    counts = dict(re.findall(r'data-status="(\w+)".*?<strong[^>]*>(\d+)</strong>', html, re.S))
    assert counts == {"PROPOSAL": "1", "REVIEW": "1", "POST_PROD": "1", "APPROVED": "1"}


def test_superusers_see_every_organizations_shots(client, world, superuser):
    client.force_login(superuser)
    assert set(names(world, rows(client.get(QUEUE)))) == {"review", "post_prod", "proposal", "foreign"}


@pytest.mark.parametrize(
    "query, expected",
    [("status=REVIEW", ["review"]), ("status=APPROVED", ["approved"]), ("brand=Zeta", ["proposal"]),
     ("q=silk", ["post_prod"])],
)
def test_filters(client, world, query, expected):
    client.force_login(world["reviewer"])
    assert names(world, rows(client.get(f"{QUEUE}?{query}"))) == expected


def test_related_filters(client, world, org):
    client.force_login(world["reviewer"])
    shots = world["shots"]
    checks = {
        f"shooting_look__shooting__organization__id__exact={org.pk}": ["review", "post_prod", "proposal"],
        f"shooting_look__shooting__id__exact={world['soon'].pk}": ["review", "post_prod"],
        f"shot_type__id__exact={shots['review'].shot_type_id}": ["review"],
        f"shooting_look__assignee__id__exact={world['reviewer'].pk}": ["proposal"],
        "shooting_look__shooting__due_date__gte=" + (timezone.now() + datetime.timedelta(days=10)).date().isoformat():
            ["proposal"],
    }
    for query, expected in checks.items():
        assert names(world, rows(client.get(f"{QUEUE}?{query}"))) == expected, query


def act(client, action, shots, note="", query="", reasons=()):
    return client.post(f"{QUEUE}{query}", {"action": action, "_selected_action": [str(s.pk) for s in shots],
                                           "note": note, "reasons": list(reasons)}, follow=True)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_approve_and_reject_through_the_services(client, world):
    client.force_login(world["reviewer"])
    shots = world["shots"]
    response = act(client, "approve_shots", [shots["review"]])
    assert message_texts(response) == ["Wool Coat (Back): approved"]
    response = act(client, "reject_shots", [shots["post_prod"], shots["proposal"]], note="Fix the collar")
    assert message_texts(response)[0] == "2 of 2 shots rejected"
    assert sorted(message_texts(response)[1:]) == ["Linen Shirt (Front): rejected (1 rework left)",
                                                   "Silk Dress (Front): rejected (1 rework left)"]
    statuses = {key: Shot.objects.get(pk=shots[key].pk).current_revision.shot_status
                for key in ("review", "post_prod", "proposal")}
    assert statuses == {"review": "APPROVED", "post_prod": "POST_PROD_REJECTED", "proposal": "REJECTED"}
    assert ShotRevision.objects.get(pk=Shot.objects.get(pk=shots["proposal"].pk).current_revision_id).notes == \
        "Fix the collar"
    assert rows(client.get(QUEUE)) == []


def test_bulk_reject_without_rework_says_so_for_that_shot(client, world):
    Shot.objects.filter(pk=world["shots"]["review"].pk).update(rework_available=0)
    client.force_login(world["reviewer"])
    response = act(client, "reject_shots", [world["shots"]["review"], world["shots"]["proposal"]])
    assert message_texts(response) == ["1 of 2 shots rejected, 1 not",
                                       "Wool Coat (Back): not rejected: No rework left for this shot",
                                       "Linen Shirt (Front): rejected (1 rework left)"]


def test_bulk_export(client, world, user):
    shots = world["shots"]
    client.force_login(world["reviewer"])
    act(client, "approve_shots", [shots["review"], shots["proposal"]])
    integration = ExternalIntegration.objects.create(owner=user, organization=world["soon"].organization, name="OVS")
    ExternalProductMapping.objects.create(product=shots["review"].shooting_look.product, integration=integration)
    # Approved shots leave the queue; the APPROVED filter lists them for export.
    assert names(world, rows(client.get(f"{QUEUE}?status=APPROVED"))) == ["review", "approved", "proposal"]
    response = act(client, "export_shots", [shots["review"], shots["proposal"]], query="?status=APPROVED")
    assert message_texts(response) == [
        "1 of 2 shots exported, 1 not",
        "Linen Shirt (Front): not exported: The product has no mapping to an external integration",
        "Wool Coat (Back): 1 export(s) started, 0 skipped"]
    assert ExternalImagePush.objects.get().revision == Shot.objects.get(pk=shots["review"].pk).current_revision


def test_a_long_bulk_action_reports_its_counts_and_lists_the_first_outcomes(client, world, monkeypatch, caplog):
    from integrations import review_admin

    monkeypatch.setattr(review_admin, "LISTED_OUTCOMES", 1)
    shots = world["shots"]
    client.force_login(world["reviewer"])
    caplog.set_level("INFO", logger="integrations.review_admin")
    response = act(client, "approve_shots", [shots["review"], shots["proposal"], shots["post_prod"]])
    texts = message_texts(response)
    assert texts[0] == "3 of 3 shots approved"
    assert len(texts) == 3 and texts[2] == "... and 2 more"
    assert [r.getMessage() for r in caplog.records if r.name == "integrations.review_admin"] == [
        "admin bulk action: approved 1/3", "admin bulk action: approved 2/3", "admin bulk action: approved 3/3"]


def test_the_review_page_shows_the_chain_side_by_side(client, world):
    shot = world["shots"]["review"]
    add_revision(shot, "PROPOSAL")
    client.force_login(world["reviewer"])
    html = client.get(review_url(shot)).content.decode()
    assert 'id="revision-1"' in html and 'id="revision-2"' in html
    assert html.count('class="large zoomable"') == 2 and 'id="approve"' in html
    assert client.get(reverse("admin:shots_reviewshot_change", args=[shot.pk])).status_code == 302


def test_review_page_actions(client, world, user):
    shot = world["shots"]["review"]
    first = shot.current_revision
    second = add_revision(shot, "PROPOSAL")
    client.force_login(world["reviewer"])
    url = review_url(shot)

    def post(**data):
        return message_texts(client.post(url, data, follow=True))

    assert post(action="reject", note="Too dark") == ["Wool Coat (Back): rejected (1 rework left)"]
    assert ShotRevision.objects.get(pk=second.pk).shot_status == "REJECTED"
    assert post(action="restore", revision_id=first.pk) == ["Restored version 1; later versions deleted"]
    assert not ShotRevision.objects.filter(pk=second.pk).exists()
    assert post(action="restore", revision_id=first.pk) == ["Version 1 is already current"]
    third = add_revision(shot, "PROPOSAL")
    assert post(action="set_current", revision_id=first.pk) == ["Version 1 is now current"]
    assert Shot.objects.get(pk=shot.pk).current_revision_id == first.pk and ShotRevision.objects.filter(
        pk=third.pk).exists()
    assert post(action="approve") == ["Wool Coat (Back): approved"]
    assert post(action="approve") == ["A shot in status APPROVED cannot be approved"]
    integration = ExternalIntegration.objects.create(owner=user, organization=world["soon"].organization, name="OVS")
    ExternalProductMapping.objects.create(product=shot.shooting_look.product, integration=integration)
    assert post(action="export", revision_id=first.pk) == ["1 export(s) started, 0 skipped"]
    push = ExternalImagePush.objects.get()
    push.push_status, push.error_message = "FAILED", "OVS refused the image (400)"
    push.save()
    assert "OVS refused the image (400)" in client.get(url).content.decode()
    assert post(action="repush", push_id=push.pk) == ["Push queued again"]
    push.refresh_from_db()
    assert push.push_status == "PENDING"


def test_review_page_permissions(client, world):
    client.force_login(world["reviewer"])
    assert client.get(review_url(world["shots"]["foreign"])).status_code == 403
    assert client.post(review_url(world["shots"]["foreign"]), {"action": "approve"}).status_code == 403
    viewer = UserFactory(is_staff=True)
    MembershipFactory(user=viewer, organization=world["soon"].organization)
    viewer.user_permissions.add(*Group.objects.get(name="Reviewers").permissions.filter(codename__startswith="view_"))
    client.force_login(viewer)
    assert client.get(review_url(world["shots"]["review"])).status_code == 200
    assert client.post(review_url(world["shots"]["review"]), {"action": "approve"}).status_code == 403
    assert Shot.objects.get(pk=world["shots"]["review"].pk).current_revision.shot_status == "REVIEW"


def test_other_admin_pages_follow_tenancy(client, world, superuser):
    client.force_login(world["reviewer"])
    shootings = client.get(reverse("admin:shootings_shooting_changelist")).content.decode()
    assert "Soon" in shootings and "Theirs" not in shootings
    generations = client.get(reverse("admin:shots_generation_changelist"))
    assert generations.status_code == 200
    foreign_look = world["shots"]["foreign"].shooting_look
    assert client.get(reverse("admin:shootings_shootinglook_change", args=[foreign_look.pk])).status_code in (302, 403)
    client.force_login(superuser)
    for name in ("shootings_shooting", "shootings_shootinglook", "shots_shot", "shots_shotrevision",
                 "shots_generation", "integrations_externalimagepush", "integrations_externalintegration",
                 "catalog_product", "catalog_subject", "outfits_outfit", "media_mediaresource"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    look = world["shots"]["review"].shooting_look
    assert client.get(reverse("admin:shootings_shootinglook_change", args=[look.pk])).status_code == 200
    assert client.get(reverse("admin:shootings_shooting_change", args=[look.shooting_id])).status_code == 200


# --- reasons, quality and the keyboard review's navigation (issue 16) ---------------------------------
def test_bulk_reject_stores_the_reasons_ticked_beside_the_action(client, world):
    client.force_login(world["reviewer"])
    html = client.get(QUEUE).content.decode()
    assert html.count('type="checkbox" name="reasons"') == 10
    shots = world["shots"]
    response = act(client, "reject_shots", [shots["review"], shots["proposal"]], note="Wrong red",
                   reasons=["COLOR", "FIT"])
    # The counts first, then each shot's outcome (bulk actions report their progress).
    assert message_texts(response)[0] == "2 of 2 shots rejected"
    assert sorted(message_texts(response)[1:]) == ["Linen Shirt (Front): rejected (1 rework left)",
                                                   "Wool Coat (Back): rejected (1 rework left)"]
    for key in ("review", "proposal"):
        revision = Shot.objects.get(pk=shots[key].pk).current_revision
        assert (revision.shot_status, revision.rejection_reasons) == ("REJECTED", ["COLOR", "FIT"])


def test_bulk_reject_with_an_unknown_reason_rejects_nothing(client, world):
    client.force_login(world["reviewer"])
    act(client, "reject_shots", [world["shots"]["review"]], reasons=["SMUDGE"])
    assert Shot.objects.get(pk=world["shots"]["review"].pk).current_revision.shot_status == "REVIEW"


def set_quality(shot, status, checks=()):
    ShotRevision.objects.filter(pk=Shot.objects.get(pk=shot.pk).current_revision_id).update(
        quality={"status": status, "checks": list(checks)}, quality_status=status)


QUALITY_COLUMN = str(["action_checkbox", *ReviewQueueAdmin.list_display].index("quality"))


def test_the_queue_filters_and_sorts_by_quality(client, world):
    shots = world["shots"]
    set_quality(shots["review"], "PASSED")
    set_quality(shots["post_prod"], "FAILED")
    set_quality(shots["proposal"], "WARNING")
    client.force_login(world["reviewer"])
    assert names(world, rows(client.get(f"{QUEUE}?current_revision__quality_status__exact=FAILED"))) == ["post_prod"]
    assert names(world, rows(client.get(f"{QUEUE}?current_revision__quality_status__exact=PASSED"))) == ["review"]
    # Worst first, and the other way round.
    assert names(world, rows(client.get(f"{QUEUE}?o={QUALITY_COLUMN}"))) == ["post_prod", "proposal", "review"]
    assert names(world, rows(client.get(f"{QUEUE}?o=-{QUALITY_COLUMN}"))) == ["review", "proposal", "post_prod"]
    html = client.get(QUEUE).content.decode()
    assert re.findall(r'class="quality-badge"[^>]*>(\w+)<', html) == ["PASSED", "FAILED", "WARNING"]


def links(client, shot, filters=""):
    """The shots the review page's previous and next links open, and the queue link."""
    query = f"?{urlencode({'_changelist_filters': filters})}" if filters else ""
    html = client.get(f"{review_url(shot)}{query}").content.decode()
    found = {}
    for name in ("previous-shot", "next-shot", "back-to-queue"):
        match = re.search(rf'href="([^"]+)" id="{name}"', html)
        found[name] = unescape(match.group(1)) if match else None
    return found


def shot_of(world, url):
    if url is None:
        return None
    shot_id = re.search(r"/reviewshot/([0-9a-f-]+)/review/", url).group(1)
    return names(world, [shot_id])[0]


def test_previous_and_next_follow_the_queue_as_filtered_and_sorted(client, world):
    shots = world["shots"]
    client.force_login(world["reviewer"])
    around = {key: links(client, shots[key]) for key in ("review", "post_prod", "proposal")}
    assert {key: (shot_of(world, found["previous-shot"]), shot_of(world, found["next-shot"]))
            for key, found in around.items()} == {"review": (None, "post_prod"), "post_prod": ("review", "proposal"),
                                                  "proposal": ("post_prod", None)}
    assert around["review"]["back-to-queue"] == QUEUE

    set_quality(shots["review"], "PASSED")
    set_quality(shots["post_prod"], "FAILED")
    set_quality(shots["proposal"], "WARNING")
    by_quality = f"o={QUALITY_COLUMN}"
    found = links(client, shots["proposal"], by_quality)
    assert (shot_of(world, found["previous-shot"]), shot_of(world, found["next-shot"])) == ("post_prod", "review")
    assert found["next-shot"].endswith("?" + urlencode({"_changelist_filters": by_quality}))
    assert found["back-to-queue"] == f"{QUEUE}?{by_quality}"
    failed_only = "current_revision__quality_status__exact=FAILED"
    found = links(client, shots["post_prod"], failed_only)
    assert (found["previous-shot"], found["next-shot"]) == (None, None)
    # A shot outside the queue (approved) leads to the queue's first shot; unusable filters are ignored.
    found = links(client, shots["approved"])
    assert (shot_of(world, found["previous-shot"]), shot_of(world, found["next-shot"])) == (None, "review")
    found = links(client, shots["post_prod"], "nonsense__field=1")
    assert (shot_of(world, found["previous-shot"]), shot_of(world, found["next-shot"])) == ("review", "proposal")
    # By product name (a related column: Linen Shirt, Silk Dress, Wool Coat), from a page of the queue
    # that does not exist (any page): the neighbours in the whole queue.
    by_product = str(["action_checkbox", *ReviewQueueAdmin.list_display].index("product"))
    found = links(client, shots["post_prod"], f"o={by_product}&p=5")
    assert (shot_of(world, found["previous-shot"]), shot_of(world, found["next-shot"])) == ("proposal", "review")


def test_the_queue_links_carry_its_filters_to_the_review_page(client, world):
    client.force_login(world["reviewer"])
    html = client.get(f"{QUEUE}?o={QUALITY_COLUMN}").content.decode()
    start = unescape(re.search(r'id="review-queue-keys"[^>]*href="([^"]+)"', html, re.S).group(1))
    assert start.endswith("?" + urlencode({"_changelist_filters": f"o={QUALITY_COLUMN}"}))
    change = reverse("admin:shots_reviewshot_change", args=[world["shots"]["review"].pk])
    response = client.get(f"{change}?_changelist_filters=status%3DREVIEW")
    assert response["Location"] == f"{review_url(world['shots']['review'])}?_changelist_filters=status%3DREVIEW"


def test_a_decision_on_the_review_page_opens_the_next_shot(client, world):
    shots = world["shots"]
    client.force_login(world["reviewer"])
    response = client.post(review_url(shots["review"]), {"action": "reject", "note": "Hands", "reasons": ["HANDS", "POSE"]})
    assert response.status_code == 302 and response["Location"] == review_url(shots["post_prod"])
    rejected = ShotRevision.objects.get(pk=shots["review"].current_revision.pk)
    assert (rejected.shot_status, rejected.rejection_reasons, rejected.notes) == ("REJECTED", ["HANDS", "POSE"], "Hands")
    assert message_texts(client.get(response["Location"])) == ["Wool Coat (Back): rejected (1 rework left)"]
    page = client.get(review_url(shots["review"])).content.decode()
    assert "Rejected for: HANDS, POSE" in page  # on the revision, and in the history
    assert "REVIEW → REJECTED; note: Hands; reasons: HANDS, POSE; rework_left: 1" in page

    filters = urlencode({"_changelist_filters": "brand=Acme"})
    response = client.post(f"{review_url(shots['post_prod'])}?{filters}", {"action": "approve"})
    assert response["Location"] == f"{QUEUE}?brand=Acme"  # the last shot of that queue: back to it
    response = client.post(review_url(shots["proposal"]), {"action": "approve"})
    assert response["Location"] == QUEUE

    # A refused decision stays on the shot, saying why; other actions stay too.
    add_revision(shots["review"], "PROPOSAL")
    url = f"{review_url(shots['review'])}?{filters}"
    response = client.post(url, {"action": "reject", "reasons": ["COLOR", "SMUDGE"]})
    assert response["Location"] == url
    assert message_texts(client.get(url))[-1].startswith("Input should be 'COLOR', 'FIT'")
    assert Shot.objects.get(pk=shots["review"].pk).current_revision.shot_status == "PROPOSAL"
    response = client.post(url, {"action": "set_current", "revision_id": rejected.pk})
    assert response["Location"] == url


def test_the_review_page_shows_the_packshot_beside_the_image_with_the_checks(client, world):
    shot = world["shots"]["review"]
    product = shot.shooting_look.product
    product.cover_image_url = "https://cdn.example.com/packshots/wool-coat.png"
    product.save()
    set_quality(shot, "FAILED", [
        {"name": "garment_colour", "score": 18.2345, "threshold": 10, "passed": False,
         "detail": "dE 18.2 against the packshot"},
        {"name": "sharpness", "score": 0.91, "threshold": 0.5, "passed": True, "detail": ""}])
    client.force_login(world["reviewer"])
    html = client.get(review_url(shot)).content.decode()
    packshot = re.search(r'<figure class="panel" id="packshot">.*?</figure>', html, re.S).group(0)
    assert 'class="zoomable main-image" src="https://cdn.example.com/packshots/wool-coat.png"' in packshot
    current = re.search(r'<figure class="panel" id="current-image">.*?</figure>', html, re.S).group(0)
    assert re.search(r'class="zoomable main-image" src="/media/r/', current) and "Version 1 (current)" in current
    checks = re.findall(r'<tr class="check (\w+)" data-check="(\w+)">\s*<td>\w+</td><td>([\d.]+)</td><td>([\d.]+)</td>',
                        html)
    assert checks == [("failed", "garment_colour", "18.23", "10"), ("passed", "sharpness", "0.91", "0.5")]
    assert "dE 18.2 against the packshot" in html and ">FAILED</span>" in html
    assert html.count('data-key=') == 10 and 'data-key="0"' in html  # the reasons by number key
    assert "integrations/review.js" in html and "integrations/review.css" in html

    product.cover_image_url = None
    product.save()
    set_quality(world["shots"]["post_prod"], "PENDING")
    html = client.get(review_url(world["shots"]["post_prod"])).content.decode()
    assert "No packshot" in html and "Checks running." in html
    assert "Not checked." in client.get(review_url(world["shots"]["proposal"])).content.decode()


def test_the_review_pages_script_and_style_are_static_files():
    for name in ("integrations/review.js", "integrations/review.css"):
        assert finders.find(name), name
