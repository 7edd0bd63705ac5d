"""Every shootings read runs a constant number of queries, at 1 look and at 50."""
import pytest
from django.db import connection

from conftest import client_for
from sartiq.catalog.tests.factories import ShootingGuidelinesFactory, fully_loaded
from shootings.tests.factories import ShootingFactory, fully_loaded_look

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def fresh_statistics(django_db_setup, django_db_blocker):
    """Planner statistics as a real database keeps them. Earlier tests of a full run leave tables
    whose pages are all dead (reltuples 0, relpages > 0) and no autovacuum has caught up: on them
    PostgreSQL planned the 50-look reads here to take minutes each (seen in a full run, not alone).
    Production has autovacuum; the suite vacuums once before these measurements."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

AUTH = 1  # the token's user
COUNT = 1  # total of a page
# A shooting's default guidelines: the guidelines, their set design and its three image lists,
# shot types, subjects and their base images / data media / portfolio media, pose presets.
GUIDELINES = 11
# A look as ShootingLookPublic, built from rows (shootings/api/documents.py): the looks (shot status
# a subquery, product and subject joined), shots, revisions (push status a subquery), images, push
# records, pose presets, outfits, their product links, their reference media; then what those refer
# to, each once: set designs and their three image lists, products (computed fields as subqueries),
# the products' reference media, shot types, users, media. (Outfit products shot in a look the
# caller sees add one query for those looks' shots; these are not.)
LOOK_DOCUMENTS = 9 + 4 + 2 + 1 + 1 + 1
# The reads that answer conditionally (sartiq/api/conditional.py) first read what their ETag digests:
# the versions (one query: the shooting's, or the page's ids, versions and count, with the global
# version) and the caller's memberships.
ETAG = 1 + 1

EXPECTED = {
    # shootings: one query for the rows, their count (a window), versions and the global version (what
    # the ETag digests; a personal list depends on no membership) + guidelines
    "/api/v1/shootings/": AUTH + 1 + GUIDELINES,
    # the shooting, its guidelines, its looks
    "/api/v1/shootings/{shooting}": AUTH + ETAG + 1 + GUIDELINES + LOOK_DOCUMENTS,
    # the shooting (access), count, the page's ids, its looks
    "/api/v1/shootings/{shooting}/looks": AUTH + ETAG + 1 + COUNT + 1 + LOOK_DOCUMENTS,
    # the shooting, count, looks (product and assignee joined, outfit figures as subqueries), shots
    "/api/v1/shootings/{shooting}/looks-summary": AUTH + ETAG + 1 + COUNT + 1 + 1,
    # two aggregates: totals, breakdown
    "/api/v1/shootings/summary": AUTH + 2,
    # the shooting, one aggregate
    "/api/v1/shootings/{shooting}/draft-summary": AUTH + 1 + 1,
    # the shooting, its revisions' rows (engines and checks in SQL), the rework per shot type
    "/api/v1/shootings/{shooting}/review-report": AUTH + 1 + 2,
    # the look (access), the look built
    "/api/v1/shootings/looks/{look}": AUTH + 1 + LOOK_DOCUMENTS,
    "/api/v1/shootings/{shooting}/looks/{look}": AUTH + 1 + LOOK_DOCUMENTS,
    # count, outfits, links, products, their reference media, latest looks, outfit media
    "/api/v1/outfits/": AUTH + COUNT + 1 + 1 + 1 + 1 + 1 + 1,
}


def test_reads_are_constant_from_1_to_50_looks(user, query_counts):
    client = client_for(user)
    guidelines = fully_loaded(ShootingGuidelinesFactory, owner=user)
    shooting = ShootingFactory(owner=user, default_guidelines=guidelines)
    first = fully_loaded_look(shooting, revisions=2)

    def counts():
        return {url: query_counts.measure(client, url.format(shooting=shooting.pk, look=first.pk), key=url)
                for url in EXPECTED}

    one = counts()
    for _ in range(49):
        fully_loaded_look(shooting, revisions=2)
    ShootingFactory(owner=user, default_guidelines=fully_loaded(ShootingGuidelinesFactory, owner=user))
    fifty = counts()
    assert client.get(f"/api/v1/shootings/{shooting.pk}/looks?limit=100").json()["count"] == 50
    query_counts.check(EXPECTED, one, fifty)
