"""Contract §3's computed statuses, table-driven, and the `statuses` / `shot_statuses` filters."""
import pytest

from conftest import client_for
from shootings.tests.factories import LookFactory, ShootingFactory, look_with_shots

pytestmark = pytest.mark.django_db

P, PR, R, PP, PPR, RV, A = "PENDING", "PROPOSAL", "REJECTED", "POST_PROD", "POST_PROD_REJECTED", "REVIEW", "APPROVED"

# (look status, shot statuses (None: no revision), expected look shot_status, expected summary status)
LOOKS = [
    ("READY", [], None, "WITHOUT_STATUS"),
    ("DRAFT", [], None, "DRAFT"),
    ("READY", [None], P, P),
    ("READY", [A, A], A, A),
    ("READY", [A, RV, PP], PP, PP),
    ("READY", [A, PR], PR, PR),
    ("READY", [R, PP], R, R),
    ("READY", [PPR, RV], PPR, PPR),
    ("READY", [A, None], P, P),
    ("DRAFT", [A, A], A, "DRAFT"),
    ("DRAFT", [PR, None], P, "DRAFT"),
]


@pytest.mark.parametrize("look_status, shots, shot_status, summary", LOOKS)
def test_look_statuses(user, look_status, shots, shot_status, summary):
    shooting = ShootingFactory(owner=user)
    look = look_with_shots(shooting, statuses=shots, status=look_status)
    client = client_for(user)
    body = client.get(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}").json()
    assert body["shot_status"] == shot_status
    assert body["status"] == look_status
    assert client.get(f"/api/v1/shootings/{shooting.pk}/looks-summary").json()["data"][0]["shot_status"] == shot_status
    breakdown = client.get(f"/api/v1/shootings/summary?shooting_id={shooting.pk}").json()["status_breakdown"]
    assert breakdown == [{"status": summary, "count": 1}]


# (looks as (look status, shot statuses), expected shooting shot_status, expected shooting status)
SHOOTINGS = [
    ([], None, None),
    ([("READY", [])], None, "WITHOUT_STATUS"),
    ([("DRAFT", [])], None, "DRAFT"),
    ([("READY", [A]), ("READY", [RV])], RV, RV),
    ([("READY", [A]), ("DRAFT", [A])], A, "DRAFT"),
    ([("READY", [A]), ("READY", [])], A, "WITHOUT_STATUS"),
    ([("READY", [A, PR]), ("READY", [R])], PR, PR),
    ([("DRAFT", [None]), ("READY", [A])], P, "DRAFT"),
    ([("READY", [PP]), ("READY", [None, A])], P, P),
]


@pytest.mark.parametrize("looks, shot_status, status", SHOOTINGS)
def test_shooting_statuses(user, looks, shot_status, status):
    shooting = ShootingFactory(owner=user)
    for look_status, shots in looks:
        look_with_shots(shooting, statuses=shots, status=look_status)
    client = client_for(user)
    detail = client.get(f"/api/v1/shootings/{shooting.pk}").json()
    assert (detail["shot_status"], detail["status"]) == (shot_status, status)
    listed = client.get("/api/v1/shootings/").json()["data"][0]
    assert (listed["shot_status"], listed["status"]) == (shot_status, status)


@pytest.fixture
def shootings(user):
    """One shooting per interesting case, by name."""
    cases = {
        "empty": [],
        "no shots": [("READY", [])],
        "draft": [("DRAFT", [A])],
        "approved": [("READY", [A, A])],
        "review": [("READY", [A, RV]), ("READY", [A])],
        "proposal and draft": [("READY", [PR]), ("DRAFT", [])],
    }
    made = {}
    for name, looks in cases.items():
        made[name] = ShootingFactory(owner=user, name=name)
        for look_status, shots in looks:
            look_with_shots(made[name], statuses=shots, status=look_status)
    return made


SHOOTING_FILTERS = {
    "APPROVED": {"approved", "draft"},
    "REVIEW": {"review"},
    "PROPOSAL": {"proposal and draft"},
    "DRAFT": {"draft", "proposal and draft"},
    "READY": {"no shots", "approved", "review", "proposal and draft"},
    "WITHOUT_STATUS": {"empty", "no shots"},
    "PENDING": set(),
    "REVIEW&statuses=WITHOUT_STATUS": {"review", "empty", "no shots"},
}


@pytest.mark.parametrize("statuses, expected", SHOOTING_FILTERS.items(), ids=SHOOTING_FILTERS.keys())
def test_shootings_statuses_filter(user, shootings, statuses, expected):
    body = client_for(user).get(f"/api/v1/shootings/?statuses={statuses}").json()
    assert {item["name"] for item in body["data"]} == expected
    assert body["count"] == len(expected)


LOOK_FILTERS = {
    "APPROVED": {"approved", "draft approved"},
    "PROPOSAL": {"proposal"},
    "PENDING": {"pending"},
    "DRAFT": {"draft approved", "draft empty"},
    "READY": {"approved", "proposal", "pending", "empty"},
    "WITHOUT_STATUS": {"empty", "draft empty"},
    "PROPOSAL&shot_statuses=PENDING": {"proposal", "pending"},
}


@pytest.mark.parametrize("statuses, expected", LOOK_FILTERS.items(), ids=LOOK_FILTERS.keys())
def test_looks_shot_statuses_filter(user, statuses, expected):
    shooting = ShootingFactory(owner=user)
    names = {}
    for name, look_status, shots in [("approved", "READY", [A]), ("draft approved", "DRAFT", [A]),
                                      ("proposal", "READY", [A, PR]), ("pending", "READY", [None]),
                                      ("empty", "READY", []), ("draft empty", "DRAFT", [])]:
        look = look_with_shots(shooting, statuses=shots, status=look_status)
        names[str(look.pk)] = name
    for endpoint in ("looks", "looks-summary"):
        body = client_for(user).get(f"/api/v1/shootings/{shooting.pk}/{endpoint}?shot_statuses={statuses}").json()
        assert {names[item["id"]] for item in body["data"]} == expected
        assert body["count"] == len(expected)


def test_summary_counts_products_looks_and_statuses(user):
    shooting = ShootingFactory(owner=user)
    a = look_with_shots(shooting, statuses=[A], status="READY")
    look_with_shots(shooting, statuses=[A], product=a.product, status="READY")  # same product, another subject
    look_with_shots(shooting, statuses=[PR], status="READY")
    LookFactory(shooting=shooting, status="DRAFT")
    body = client_for(user).get("/api/v1/shootings/summary").json()
    assert body["total_products"] == 3
    assert body["total_shooting_looks"] == 4
    assert body["status_breakdown"] == [
        {"status": "DRAFT", "count": 1}, {"status": "PROPOSAL", "count": 1}, {"status": "APPROVED", "count": 2},
    ]
