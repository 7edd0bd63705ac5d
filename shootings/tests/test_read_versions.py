"""The read versions and statuses PostgreSQL maintains (sartiq/read_versions.py): a shooting's
`version`, `shot_status_rank` and `status_rank`, the product versions and the global version."""
import random

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import ExternalImagePush, ExternalIntegration
from outfits import services as outfit_services
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.tests.factories import MembershipFactory, OrganizationFactory
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from sartiq.errors import DomainError
from sartiq.media.tests.factories import MediaResourceFactory
from sartiq.read_versions import GLOBAL_TABLE, PRODUCT_TABLE, RANK_FUNCTION, SHOWN_PRODUCT_TABLE
from shootings import services as shooting_services
from shootings.models import Shooting, ShootingLook
from shootings.selectors import with_look_statuses
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots import services as shot_services
from shots.models import Shot, ShotRevision
from shots.selectors import RANK

pytestmark = pytest.mark.django_db

# Tables without read-version triggers, and why. Any other table of these apps must have them, so a
# new table fails here until a migration installs them (or it is listed with its reason).
APPS = ("accounts", "catalog", "media", "shootings", "shots", "outfits", "integrations")
WITHOUT_TRIGGERS = {
    "shootings_shooting": "its own row trigger bumps its version (read_versions_row)",
    "accounts_user_groups": "no read shows permissions",
    "accounts_user_user_permissions": "no read shows permissions",
    "accounts_organization": "no read shows an organization's fields",
    "accounts_membership": "the caller's memberships are part of every ETag",
    "shots_generation": "no shooting, look or shot read shows generations",
    "shots_prediction": "no shooting, look or shot read shows predictions (a revision shows its images)",
    "shots_exportconfiguration": "a user's download settings",
    "shots_directupload": "upload bookkeeping",
    "integrations_pushattempt": "a push's history, shown only by the staff's push detail",
    "integrations_callbackmessage": "replay protection of callbacks",
    "shots_providerwebhookmessage": "replay protection of engine webhooks",
}


def version(shooting) -> int:
    return Shooting.objects.values_list("version", flat=True).get(pk=shooting.pk)


def global_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {GLOBAL_TABLE} WHERE id = 1")
        return cursor.fetchone()[0]


def product_version(product) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {PRODUCT_TABLE} WHERE product_id = %s", [product.pk])
        row = cursor.fetchone()
        return row and row[0]


def computed_statuses(shooting_id) -> tuple:
    """The shooting's statuses as contract §3 computes them, from the looks' SQL annotations."""
    looks = list(with_look_statuses(ShootingLook.objects.filter(shooting_id=shooting_id))
                 .values_list("shot_status_rank", "summary_rank"))
    shot_ranks = [shot_rank for shot_rank, _ in looks if shot_rank is not None]
    return (min(shot_ranks) if shot_ranks else None, min(summary for _, summary in looks) if looks else None)


def outfit_products(shooting_id) -> set:
    return set(OutfitProduct.objects.filter(outfit__shooting_look__shooting_id=shooting_id)
               .values_list("product_id", flat=True))


def shown_products(shooting_id) -> set:
    """The products the shooting's outfits show, as kept for its ETags."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT product_id FROM {SHOWN_PRODUCT_TABLE} WHERE shooting_id = %s", [shooting_id])
        return {row[0] for row in cursor.fetchall()}


def maintained_statuses(shooting_id) -> tuple:
    return tuple(Shooting.objects.values_list("shot_status_rank", "status_rank").get(pk=shooting_id))


def test_the_database_ranks_statuses_as_python_does():
    with connection.cursor() as cursor:
        for name, rank in RANK.items():
            cursor.execute(f"SELECT {RANK_FUNCTION}(%s)", [name])
            assert cursor.fetchone()[0] == rank, name
        cursor.execute(f"SELECT {RANK_FUNCTION}('NOT_A_STATUS')")
        assert cursor.fetchone()[0] is None


def test_every_table_a_read_shows_has_its_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text, array_agg(tgname::text) FROM pg_trigger "
                       "WHERE tgname LIKE 'read_versions_%%' GROUP BY tgrelid")
        triggers = {table: set(names) for table, names in cursor.fetchall()}
    tables = {model._meta.db_table for app in APPS
              for model in apps.get_app_config(app).get_models(include_auto_created=True)
              if not model._meta.proxy}
    untracked = sorted(tables - set(triggers) - set(WITHOUT_TRIGGERS))
    assert not untracked, f"tables without read-version triggers: {untracked}"
    assert triggers["shootings_shooting"] == {"read_versions_row", "read_versions_tenant"}
    for table in ("shootings_shootinglook", "shots_shotrevisionimage", "outfits_outfitproduct",
                  "integrations_externalimagepush", "catalog_subjectbaseimage"):
        assert triggers[table] == {"read_versions_ins", "read_versions_upd", "read_versions_del"}, table
    # A product, medium or user is shown only where something points at it: its updates count.
    assert triggers["catalog_product"] == triggers["media_mediaresource"] == {"read_versions_upd"}


# --- the statuses follow every write --------------------------------------------------------------
class Writes:
    """Writes through the services, chosen at random, on two shootings of one owner."""

    def __init__(self, rng, user):
        self.rng, self.user = rng, user
        self.org = MembershipFactory(user=user, role="OWNER").organization
        public = {"owner": user, "public": True}
        self.products = [ProductFactory(**public) for _ in range(3)]
        self.subjects = [SubjectFactory(**public) for _ in range(2)]
        self.shot_types = [ShotTypeFactory(**public) for _ in range(3)]
        self.shootings = [ShootingFactory(owner=user) for _ in range(2)]

    def shots(self):
        return list(Shot.objects.filter(shooting_look__shooting__in=self.shootings).order_by("pk"))

    def pick(self, items):
        return self.rng.choice(items) if items else None

    def create_looks(self):
        shot_types = self.rng.sample(self.shot_types, self.rng.randint(0, 3))
        shooting_services.looks_generate(user=self.user, shooting=self.pick(self.shootings), data={
            "product_ids": [p.pk for p in self.rng.sample(self.products, self.rng.randint(1, 2))],
            "subject_ids": [self.pick(self.subjects).pk], "shot_type_ids": [s.pk for s in shot_types],
            "status": self.pick(["DRAFT", "READY"])})

    def add_revision(self):
        if shot := self.pick(self.shots()):
            status = self.pick(["PROPOSAL", "REVIEW", "POST_PROD", "APPROVED", "REJECTED"])
            shot_services.revision_create(user=self.user, shot=shot, shot_status=status, images=[])

    def review(self):
        reviewable = [s for s in self.shots() if s.current_revision_id and
                      s.current_revision.shot_status in ("PROPOSAL", "REVIEW", "POST_PROD")]
        if shot := self.pick(reviewable):
            if self.rng.random() < 0.5:
                shot_services.shot_approve(user=self.user, shot=shot)
            else:
                shot_services.shot_reject(user=self.user, shot=shot)

    def set_current(self):
        if revision := self.pick(list(ShotRevision.objects.filter(shot__in=self.shots()))):
            shot_services.revision_set_current(user=self.user, revision=revision)

    def restore(self):
        if revision := self.pick(list(ShotRevision.objects.filter(shot__in=self.shots()))):
            shot_services.revision_restore(user=self.user, revision=revision)

    def delete_shot(self):
        if shot := self.pick(self.shots()):
            shot_services.shot_delete(user=self.user, shot=shot)

    def add_shot(self):
        if look := self.pick(list(ShootingLook.objects.filter(shooting__in=self.shootings))):
            shot_services.shot_create(user=self.user, look=look)

    def update_look(self):
        if look := self.pick(list(ShootingLook.objects.filter(shooting__in=self.shootings))):
            shooting_services.look_update(user=self.user, look=look, data={
                "status": self.pick(["DRAFT", "READY"]),
                "shot_type_ids": [s.pk for s in self.rng.sample(self.shot_types, self.rng.randint(0, 3))]})

    def delete_look(self):
        if look := self.pick(list(ShootingLook.objects.filter(shooting__in=self.shootings))):
            shooting_services.look_delete(user=self.user, look=look)

    def outfit(self):
        if look := self.pick(list(ShootingLook.objects.filter(shooting__in=self.shootings))):
            products = [p.pk for p in self.rng.sample(self.products, self.rng.randint(0, 2))]
            create = self.pick([outfit_services.outfit_create, outfit_services.outfit_create_manual])
            create(user=self.user, look=look, data={"outfit_product_ids": products})

    def transfer(self):
        shooting = Shooting.objects.get(pk=self.pick(self.shootings).pk)
        target = None if shooting.organization_id else self.org.pk
        shooting_services.shooting_update(user=self.user, shooting=shooting, data={"organization_id": target})

    WEIGHTS = {create_looks: 3, add_revision: 6, review: 5, set_current: 2, restore: 2, delete_shot: 1,
               add_shot: 1, update_look: 2, delete_look: 1, outfit: 2, transfer: 1}


def test_the_statuses_follow_random_writes_through_the_services(user):
    rng = random.Random(13)
    writes = Writes(rng, user)
    steps = rng.choices(list(Writes.WEIGHTS), weights=list(Writes.WEIGHTS.values()), k=120)
    seen, refused, outfits_seen, versions = set(), 0, False, {s.pk: version(s) for s in writes.shootings}
    for number, step in enumerate(steps):
        try:
            step(writes)
        except DomainError:  # refused (a reject without rework left...): nothing changed
            refused += 1
        for shooting in writes.shootings:
            maintained = maintained_statuses(shooting.pk)
            assert maintained == computed_statuses(shooting.pk), (number, step.__name__)
            assert outfit_products(shooting.pk) == shown_products(shooting.pk), (number, step.__name__)
            outfits_seen |= bool(outfit_products(shooting.pk))
            assert version(shooting) >= versions[shooting.pk]
            versions[shooting.pk] = version(shooting)
            seen.add(maintained)
    assert len(seen) > 5 and refused < 20  # the walk went through many states, mostly by writes
    assert outfits_seen


# --- versions -------------------------------------------------------------------------------------
def test_a_statement_bumps_its_shooting_once_and_no_other(user):
    shooting, other = ShootingFactory(owner=user), ShootingFactory(owner=user)
    look = LookFactory(shooting=shooting)
    before, other_before = version(shooting), version(other)
    Shot.objects.bulk_create([Shot(shooting_look=look) for _ in range(50)])  # one INSERT
    assert (version(shooting), version(other)) == (before + 1, other_before)
    assert maintained_statuses(shooting.pk) == (RANK["PENDING"], RANK["DRAFT"])
    Shot.objects.filter(shooting_look=look).delete()  # one DELETE
    assert version(shooting) == before + 2


def test_the_shootings_own_fields_bump_it_and_what_django_writes_into_the_maintained_columns_is_ignored(user):
    shooting = ShootingFactory(owner=user)
    add_revision(ShotFactory(shooting_look=LookFactory(shooting=shooting)), "APPROVED")
    stale = Shooting.objects.get(pk=shooting.pk)
    before = version(shooting)
    shooting_services.shooting_update(user=user, shooting=shooting, data={"name": "Renamed"})
    assert version(shooting) == before + 1
    stale.version, stale.shot_status_rank, stale.status_rank = 0, None, None
    stale.save()  # an old copy saved whole: its name and updated_at change, not the maintained columns
    assert version(shooting) == before + 2
    assert maintained_statuses(shooting.pk) == (RANK["APPROVED"], RANK["DRAFT"])
    Shooting.objects.filter(pk=shooting.pk).update(name=stale.name)  # changes nothing
    assert version(shooting) == before + 2


def test_a_rollback_takes_the_bump_back(user):
    shooting = ShootingFactory(owner=user)
    before = version(shooting)
    with pytest.raises(RuntimeError), transaction.atomic():
        LookFactory(shooting=shooting)
        assert version(shooting) == before + 1
        raise RuntimeError
    assert version(shooting) == before


def test_a_workers_claim_bumps_nothing_but_the_status_it_shows_does(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    revision = add_revision(ShotFactory(shooting_look=look), "APPROVED")
    outfit = Outfit.objects.create(shooting_look=look, generation_status="PENDING")
    push = ExternalImagePush.objects.create(revision=revision,
                                            integration=ExternalIntegration.objects.create(owner=user, name="OVS"))
    before = version(look.shooting)
    Outfit.objects.filter(pk=outfit.pk).update(lease_until=timezone.now())
    ExternalImagePush.objects.filter(pk=push.pk).update(lease_until=timezone.now(), attempts=3)
    assert version(look.shooting) == before
    ExternalImagePush.objects.filter(pk=push.pk).update(push_status="IN_PROGRESS")
    assert version(look.shooting) == before + 1


def test_what_a_product_shows_elsewhere_bumps_the_product(user):
    """An outfit in shooting A shows product P with the status of P's latest look, in shooting B."""
    product = ProductFactory(owner=user)
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user), product=product))
    first = product_version(product)
    revision = add_revision(shot, "PROPOSAL")
    assert product_version(product) > first
    middle = product_version(product)
    ShotRevision.objects.filter(pk=revision.pk).update(shot_status="APPROVED")
    assert product_version(product) == middle + 1
    ShotRevision.objects.filter(pk=revision.pk).update(notes="unchanged status, still shown")
    assert product_version(product) == middle + 2


def test_the_catalog_media_and_users_bump_the_global_version(user):
    product, medium = ProductFactory(owner=user), MediaResourceFactory(owner=user)
    before = global_version()
    MediaResourceFactory(owner=user)  # a new medium is shown nowhere yet
    medium.delete()  # what showed it is deleted or cleared first, and bumps its own version
    user.last_login = timezone.now()
    user.save()  # not shown
    assert global_version() == before
    product.name = "Renamed"
    product.save()
    assert global_version() == before + 1
    product.reference_images_media.add(MediaResourceFactory(owner=user))  # a link row
    user.full_name = "Another Name"
    user.save()
    assert global_version() == before + 3


def test_deleting_a_medium_a_shooting_shows_bumps_the_shooting(user):
    """A root row's delete bumps nothing itself: Django clears or deletes its references first."""
    look = LookFactory(shooting=ShootingFactory(owner=user))
    revision = add_revision(ShotFactory(shooting_look=look), "PROPOSAL")
    medium = MediaResourceFactory(owner=user)
    revision.images.update(image_media=medium)
    before = version(look.shooting)
    medium.delete()
    assert version(look.shooting) == before + 1


def test_a_transfer_bumps_the_products_of_its_looks(user):
    org = OrganizationFactory()
    MembershipFactory(user=user, organization=org, role="OWNER")
    product = ProductFactory(owner=user, public=True)
    shooting = ShootingFactory(owner=user)
    LookFactory(shooting=shooting, product=product, subject=SubjectFactory(owner=user, public=True))
    before, product_before = version(shooting), product_version(product)
    shooting_services.shooting_update(user=user, shooting=shooting, data={"organization_id": org.pk})
    assert (version(shooting), product_version(product)) == (before + 1, product_before + 1)


def test_the_products_an_outfit_shows_follow_it_to_another_shooting(user):
    first, second = ShootingFactory(owner=user), ShootingFactory(owner=user)
    outfit = Outfit.objects.create(shooting_look=LookFactory(shooting=first))
    product = ProductFactory(owner=user)
    OutfitProduct.objects.create(outfit=outfit, product=product)
    assert (shown_products(first.pk), shown_products(second.pk)) == ({product.pk}, set())
    Outfit.objects.filter(pk=outfit.pk).update(outfit_instruction="Not a move")
    assert shown_products(first.pk) == {product.pk}
    Outfit.objects.filter(pk=outfit.pk).update(shooting_look=LookFactory(shooting=second))
    assert (shown_products(first.pk), shown_products(second.pk)) == (set(), {product.pk})
