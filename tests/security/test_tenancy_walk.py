"""The tenancy walk (issue #10): every operation of /api/v1/openapi.json as the anonymous caller,
A's owner, admin and member, an outsider, B's owner and a superuser; other tenants' ids placed in
bodies, queries and filters; public resources used by two tenants. Nothing of a tenant is read or
changed by anyone outside it.

The cases come from the document served at collection time and from `recipes.py`: an operation
without a recipe, or a body field that looks like a reference but has no kind, fails. One world is
built per module (tests/security/world.py) and every case runs in a savepoint that is rolled back,
with the stored files restored after it. See walk.py for the case families and checks, and
findings.py for the classification of failures (a finding of the issue, or NEW).
"""
import re

import pytest
from django.db import transaction
from django.urls import get_resolver

from sartiq.api.routes import without_segment_lookaheads
from tests.security import findings, scenarios, walk
from tests.security.audit import FileState
from tests.security.world import build_world

# Every case runs in pytest-django's test transaction too (it also makes the session create the test
# database); the module's world sits in an outer transaction under it.
pytestmark = pytest.mark.django_db

DOC = walk.served_openapi()
CASES = walk.build_cases(DOC) + [walk.Case(f"scenario/{name}", fn) for name, fn in scenarios.SCENARIOS.items()]

# API routes outside the OpenAPI document, and what guards them instead of a login.
UNDOCUMENTED = {
    "openapi.json": "the document itself",
    "utils/health-check": "no data",
    "utils/ready": "no data: each component's status, never an address or an error's text",
    "uploads/(?P<token>[^/]+)": "a signed, expiring upload token for one key (finding 7: single use)",
    "integrations/(?P<integration_id>[^/]+)/callback": "an HMAC of the body with the integration's callback "
                                                       "secret (scenario/callback-for-A-push)",
    "providers/(?P<engine>[a-z]+)/webhook": "a URL token, an HMAC of the engine and the generation under "
                                            "SECRET_KEY, and Replicate's Standard Webhooks signature "
                                            "(shots/generation.py generation_webhook)",
}


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        before = FileState()
        try:
            with transaction.atomic():
                world = build_world()
                state = walk.make_state(world)
                links = state.links.links()
                assert not links, f"the world itself links tenants: {links}"
                yield world, state
                transaction.set_rollback(True)
        finally:
            before.restore()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_tenancy(walked, case):
    world, state = walked
    problems, calls = walk.run_case(case, world, state)
    if problems and problems[0].startswith("SKIP"):
        pytest.skip(problems[0])
    if problems:
        pytest.fail(findings.report(case.id, problems, calls), pytrace=False)


def test_every_operation_of_the_document_has_a_recipe_and_no_recipe_is_stale():
    operations = {op.op_id for op in walk.operations(DOC)}
    missing = sorted(operations - set(walk.R.RECIPES))
    stale = sorted(set(walk.R.RECIPES) - operations)
    assert not missing and not stale, f"operations without a recipe: {missing}; recipes of no operation: {stale}"
    assert len(operations) > 100  # the document is the whole API, not an empty one


def _api_patterns():
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    found = set()

    def walk_patterns(patterns, prefix=""):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).lstrip("^")
            if hasattr(pattern, "url_patterns"):
                walk_patterns(pattern.url_patterns, text)
            else:
                found.add(re.sub(r"/\?\$$|\$$", "", without_segment_lookaheads(text)))
    walk_patterns(api.url_patterns)
    return found


def test_every_api_route_is_in_the_document_or_listed_with_its_guard():
    documented = {re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.removeprefix("/api/v1/").rstrip("/"))
                  for path in DOC["paths"]}
    unknown = sorted(_api_patterns() - documented - set(UNDOCUMENTED))
    assert not unknown, f"API routes neither documented nor listed in UNDOCUMENTED: {unknown}"
