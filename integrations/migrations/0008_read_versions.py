"""The read-version triggers (sartiq/read_versions.py): a shooting's version and computed statuses,
product versions, and the global version, maintained by PostgreSQL in the writing transaction.

It lives in the top app because it names tables of every app (a push shows under its shooting),
and only the top app's migrations may depend on all the others. The tables, the status order and
the shown columns are frozen here as they are at this migration: a later change (a new table, a
status, a column a read starts to show) needs a migration of its own, and
tests/test_read_versions.py fails until there is one.
"""
from django.db import migrations

from sartiq.read_versions import (
    Shown,
    UnderShooting,
    base_sql,
    drop_sql,
    shown_sql,
    status_rank_sql,
    under_shooting_sql,
)

# Least to most progressed (contract §3; shots.choices.STATUS_ORDER when this was written).
STATUS_ORDER = ["WITHOUT_STATUS", "DRAFT", "READY", "PENDING", "PROPOSAL", "REJECTED", "POST_PROD",
                "POST_PROD_REJECTED", "REVIEW", "APPROVED"]

LOOK, SHOT, REVISION, OUTFIT = "shootings_shootinglook", "shots_shot", "shots_shotrevision", "outfits_outfit"
CLAIMS = ("claim_token", "lease_until")

# Every table whose rows a shooting's reads show, with the foreign key to the row above it.
UNDER_SHOOTING = [
    UnderShooting(LOOK, ("shooting_id", "shootings_shooting"), ranks=True, products=True,
                  outfit_products="moves"),
    UnderShooting("shootings_shootinglook_pose_presets", ("shootinglook_id", LOOK)),
    UnderShooting(SHOT, ("shooting_look_id", LOOK), ranks=True, products=True, unshown=("last_revision_version",)),
    UnderShooting(REVISION, ("shot_id", SHOT), ranks=True, products=True),
    UnderShooting("shots_shotrevisionimage", ("shot_revision_id", REVISION)),
    UnderShooting(OUTFIT, ("shooting_look_id", LOOK), outfit_products="moves", unshown=CLAIMS),
    UnderShooting("outfits_outfitproduct", ("outfit_id", OUTFIT), outfit_products="all"),
    UnderShooting("outfits_outfit_outfit_ref_images_media", ("outfit_id", OUTFIT)),
    UnderShooting("integrations_externalimagepush", ("revision_id", REVISION), products=True,
                  unshown=(*CLAIMS, "attempts", "next_attempt_at", "external_reference", "idempotency_key")),
]

# Tables shown inside many shootings (the catalog, media, users, integrations): the global version.
# Roots count when updated; links and children (shown as list members) on every event.
SHOWN = [
    *[Shown(f"catalog_{name}") for name in (
        "shottype", "posepreset", "style", "resolutionpreset", "backgroundpreset", "product", "subject",
        "setdesign", "shootingguidelines")],
    *[Shown(f"catalog_{name}", root=False) for name in (
        "product_reference_images_media", "subject_data_images_media", "subject_portfolio_images_media",
        "subjectmeasurements", "subjectbaseimage", "setbaseimage", "setreferenceimage", "subjectportrait",
        "shootingguidelines_shot_types", "shootingguidelines_subjects", "shootingguidelines_pose_presets")],
    Shown("media_mediaresource"),
    Shown("accounts_user", columns=("email", "full_name")),
    # A product's integration_name: the name of the first integration (visible to the caller) it is mapped to.
    Shown("integrations_externalintegration", columns=("name", "owner_id", "organization_id")),
    Shown("integrations_externalproductmapping", root=False, columns=("product_id", "integration_id", "created_at")),
]

INSTALL = "\n".join([
    status_rank_sql(STATUS_ORDER),
    base_sql(),
    under_shooting_sql(UNDER_SHOOTING),
    shown_sql(SHOWN),
    # The statuses and outfits' products of the shootings that exist (the triggers keep them from now on).
    "SELECT read_versions_refresh(array_agg(id), true), read_versions_refresh_outfit_products(array_agg(id)) "
    "FROM shootings_shooting;",
])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_user_token_version"),
        ("catalog", "0002_stored_json_values"),
        ("media", "0001_initial"),
        ("shootings", "0002_read_versions"),
        ("shots", "0007_stored_json_values"),
        ("outfits", "0004_stored_json_values"),
        ("integrations", "0007_exported_revision_kept"),
    ]

    operations = [
        migrations.RunSQL(INSTALL, drop_sql([*UNDER_SHOOTING, *SHOWN])),
    ]
