"""The event log in the admin: what staff do there is recorded as theirs (actor `staff`), the review
page and the shot and shooting pages show the object's history newest first (bounded, with a link
to the rest), and the log itself is read-only and follows the tenancy rule."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from conftest import client_for
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.events.admin import HISTORY_SHOWN
from sartiq.events.models import Event
from sartiq.events.services import of_shooting, record, record_many
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision

pytestmark = pytest.mark.django_db

INLINES = {f"{prefix}-{name}": value for prefix in ("looks", "shots")
           for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                               ("MAX_NUM_FORMS", "1000"))}


@pytest.fixture
def reviewer(org):
    reviewer = UserFactory(is_staff=True)
    MembershipFactory(user=reviewer, organization=org, role=MembershipRole.MEMBER)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    return reviewer


@pytest.fixture
def shot(user, org):
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user, organization=org)))
    shot.rework_available = 2
    shot.save()
    return shot


def by_staff(event: Event, user) -> None:
    assert (event.actor_type, event.actor_id, event.actor_name) == ("staff", user.pk, user.email)


def history_rows(html: str) -> list[tuple[str, str]]:
    """(type, details) of the rows of the page's history table, top to bottom."""
    table = re.search(r'<table class="history">.*?</table>', html, re.S).group(0)
    return re.findall(r"<tr><td>[^<]*</td><td><code>([^<]*)</code></td><td>[^<]*</td><td>([^<]*)</td></tr>", table)


def test_a_review_in_the_admin_is_the_staff_users_and_shows_on_the_review_page(client, reviewer, shot, user):
    add_revision(shot, "PROPOSAL")
    url = reverse("admin:shots_reviewshot_review", args=[shot.pk])
    client.force_login(reviewer)
    client.post(url, {"action": "reject", "note": "Too dark"})
    add_revision(shot, "REVIEW")
    client.post(url, {"action": "approve"})
    rejected, approved = Event.objects.get(type="shot.rejected"), Event.objects.get(type="shot.approved")
    by_staff(rejected, reviewer), by_staff(approved, reviewer)
    assert rejected.data["note"] == "Too dark" and rejected.data["rework_left"] == 1
    page = client.get(url).content.decode()
    assert history_rows(page) == [("shot.approved", "REVIEW → APPROVED; rework_left: 1; rework_used: 1"),
                                  ("shot.rejected", "PROPOSAL → REJECTED; note: Too dark; rework_left: 1; "
                                                    "rework_used: 1")]
    assert f"staff: {reviewer.email}" in page
    assert f'{reverse("admin:events_event_changelist")}?shot_id={shot.pk}' in page  # reviewers read the log
    # The client reads who did it as "staff": the studio's reviewer stays in the admin.
    actors = [event["actor"] for event in client_for(user).get(f"/api/v1/shots/{shot.pk}/history").json()["data"]]
    assert actors[:2] == [{"type": "staff", "id": None, "name": ""}] * 2


def test_bulk_review_actions_record_one_event_per_shot(client, reviewer, shot, user, org):
    other = ShotFactory(shooting_look=shot.shooting_look)
    for each in (shot, other):
        add_revision(each, "PROPOSAL")
    client.force_login(reviewer)
    client.post(reverse("admin:shots_reviewshot_changelist"),
                {"action": "approve_shots", "_selected_action": [str(shot.pk), str(other.pk)], "index": 0})
    approved = list(Event.objects.filter(type="shot.approved"))
    assert {e.shot_id for e in approved} == {shot.pk, other.pk}
    for event in approved:
        by_staff(event, reviewer)


def test_edits_and_deletes_in_the_admin_are_the_staff_users(client, superuser, shot):
    look, shooting = shot.shooting_look, shot.shooting_look.shooting
    client.force_login(superuser)
    response = client.post(reverse("admin:shootings_shooting_change", args=[shooting.pk]),
                           {**INLINES, "name": "Renamed", "season": shooting.season, "due_date_0": "",
                            "due_date_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("admin:shootings_shootinglook_change", args=[look.pk]),
                           {**INLINES, "subject": str(look.subject_id), "product": str(look.product_id),
                            "file_format": "PNG"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(reverse("admin:shots_shot_delete", args=[shot.pk]), {"post": "yes"}).status_code == 302
    updated = Event.objects.get(type="shooting.updated")
    assert updated.data == {"fields": ["due_date", "name"]}
    assert Event.objects.get(type="look.updated").data == {"fields": ["file_format"]}
    for event in Event.objects.all():
        by_staff(event, superuser)
    assert [e.type for e in Event.objects.order_by("id")] == ["shooting.updated", "look.updated", "shot.deleted"]
    page = client.get(reverse("admin:shootings_shooting_change", args=[shooting.pk])).content.decode()
    assert [t for t, _ in history_rows(page)] == ["shot.deleted", "look.updated", "shooting.updated"]


def test_a_long_history_shows_the_latest_and_links_to_the_rest(client, superuser, shot):
    shooting = shot.shooting_look.shooting
    subject = of_shooting(shooting, look_id=shot.shooting_look_id, shot_id=shot.pk)
    with transaction.atomic():
        record_many("shot.status_changed", [(subject, {"from": "PROPOSAL", "to": "REVIEW", "cause": f"n{n}"})
                                            for n in range(HISTORY_SHOWN + 5)])
    client.force_login(superuser)
    page = client.get(reverse("admin:shots_shot_change", args=[shot.pk])).content.decode()
    rows = history_rows(page)
    assert len(rows) == HISTORY_SHOWN and rows[0][1].endswith(f"cause: n{HISTORY_SHOWN + 4}")  # newest first
    link = f'{reverse("admin:events_event_changelist")}?shot_id={shot.pk}'
    assert f'href="{link}"' in page and "All events" in page
    log = client.get(link).content.decode()
    assert log.count('class="field-type"') == HISTORY_SHOWN + 5


def test_the_log_is_read_only_filtered_searched_and_as_private_as_its_tenant(client, reviewer, shot, superuser):
    theirs = ShootingFactory(owner=UserFactory(), organization=MembershipFactory().organization, name="Theirs")
    with transaction.atomic():
        mine = record("shooting.created", of_shooting(shot.shooting_look.shooting), {"name": "Ours"})
        record("shot.approved", of_shooting(shot.shooting_look.shooting, shot_id=shot.pk), {"to": "APPROVED"})
        foreign = record("shooting.created", of_shooting(theirs), {"name": "Theirs"})
    changelist = reverse("admin:events_event_changelist")
    client.force_login(reviewer)
    listed = client.get(changelist).content.decode()
    assert "name: Ours" in listed and "name: Theirs" not in listed
    assert client.get(reverse("admin:events_event_change", args=[foreign.pk])).status_code in (302, 403)
    shown = client.get(reverse("admin:events_event_change", args=[mine.pk]))
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()  # read-only
    assert client.post(reverse("admin:events_event_change", args=[mine.pk]), {"type": "x"}).status_code == 403
    assert client.post(reverse("admin:events_event_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:events_event_add")).status_code == 403
    assert Event.objects.get(pk=mine.pk).type == "shooting.created"

    client.force_login(superuser)

    def types(query):
        return re.findall(r'<td class="field-type">([^<]*)</td>', client.get(f"{changelist}?{query}").content.decode())

    assert sorted(types("")) == ["shooting.created", "shooting.created", "shot.approved"]
    assert types("type=shot.*") == ["shot.approved"]
    assert sorted(types("type=shooting.created")) == ["shooting.created", "shooting.created"]
    assert types("actor_type=user") == [] and len(types("actor_type=system")) == 3
    assert types(f"q={theirs.pk}") == ["shooting.created"]
    assert types(f"q={shot.pk}") == ["shot.approved"]
    assert types("q=not-an-id") == []
