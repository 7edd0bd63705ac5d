"""A shooting's review report (GET /shootings/{id}/review-report): what review found, per shot type
and per engine and model, and whether the automatic quality checks foresaw it.

The outcome of a revision is its status: APPROVED, REJECTED or POST_PROD_REJECTED make it
*reviewed* (a revision still awaiting review, or superseded before anyone decided, is not). Per group:

- `revisions`: the revisions made (generated or uploaded);
- first pass: a shot's *first reviewed revision* (lowest version among its reviewed ones) decides
  whether it passed first time: `shots_reviewed`, `first_pass_approved`, their rate;
- `rejections`, and `rejections_by_reason` from the reasons the reviewer gave (a rejection with two
  reasons counts under both; `without_reason` those with none);
- `rework_spent`: per shot type (and in total) the shots' `rework_used`, the counter the client's
  rework is spent from; per engine, the rejections of its revisions (each spent one rework);
- `quality`: of the reviewed revisions whose quality status was FAILED, WARNING or PASSED, how many
  were rejected; per check, of those where the check failed and where it passed.

A revision's engine is that of the generation that produced it: the generation whose result it is
(`Generation.revision`), else the generation of its first image's prediction (a revision a client
built from a prediction); anything else was uploaded (engine `upload`).

Two queries whatever the size of the shooting: one row per revision (with its engine and the
names of its failed and passed checks extracted in SQL, not the whole quality document), and the
rework counters per shot type. The tallies are made in Python.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Func, JSONField, OuterRef, Subquery, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from shots.choices import QualityStatus, RejectionReason, ShotStatus
from shots.models import Generation, Shot, ShotRevision, ShotRevisionImage

REVIEWED = {ShotStatus.APPROVED, ShotStatus.REJECTED, ShotStatus.POST_PROD_REJECTED}
REJECTED = {ShotStatus.REJECTED, ShotStatus.POST_PROD_REJECTED}
UPLOAD = "upload"
# Quality statuses that say something about an image (PENDING: not checked yet).
PREDICTING = (QualityStatus.FAILED, QualityStatus.WARNING, QualityStatus.PASSED)


def _engine_and_model(generations):
    return generations.annotate(pair=Func(F("provider"), F("model"), function="jsonb_build_array",
                                          output_field=JSONField())).values("pair")[:1]


def _checks(passed: str) -> RawSQL:
    """The names of the revision's checks that passed (`true`) or failed (`false`), as a JSON list."""
    path = f"$.checks[*] ? (@.passed == {passed}).name"
    return RawSQL(f"""jsonb_path_query_array("shots_shotrevision"."quality", '{path}')""", (),
                  output_field=JSONField())


def revision_rows(shooting_id):
    """One row per revision of the shooting: what the tallies need, and nothing else."""
    produced_by = Generation.objects.filter(revision=OuterRef("pk")).order_by("created_at", "id")
    from_prediction = (ShotRevisionImage.objects.filter(shot_revision=OuterRef("pk"), prediction_id__isnull=False)
                       .order_by("position", "created_at", "id")
                       .annotate(pair=Subquery(_engine_and_model(
                           Generation.objects.filter(predictions__pk=OuterRef("prediction_id")))))
                       .values("pair")[:1])
    return (ShotRevision.objects.filter(shot__shooting_look__shooting_id=shooting_id)
            .annotate(engine_model=Coalesce(Subquery(_engine_and_model(produced_by)),
                                            Subquery(from_prediction, output_field=JSONField()),
                                            Value([UPLOAD, ""], output_field=JSONField())),
                      failed_checks=_checks("false"), passed_checks=_checks("true"))
            .order_by()
            .values_list("shot_id", "shot__shot_type_id", "shot__shot_type__name", "version", "shot_status",
                         "quality_status", "rejection_reasons", "engine_model", "failed_checks", "passed_checks"))


def rework_by_shot_type(shooting_id):
    return (Shot.objects.filter(shooting_look__shooting_id=shooting_id).order_by()
            .values_list("shot_type_id").annotate(rework=Sum("rework_used"), shots=Count("pk")))


@dataclass
class Row:
    shot_id: object
    shot_type_id: object
    shot_type_name: str | None
    version: int
    status: str
    quality_status: str
    reasons: list
    engine: str
    model: str
    failed: list
    passed: list


@dataclass
class Rate:
    reviewed: int = 0
    rejected: int = 0

    def add(self, rejected: bool) -> None:
        self.reviewed += 1
        self.rejected += rejected

    def data(self) -> dict:
        return {"reviewed": self.reviewed, "rejected": self.rejected,
                "rejection_rate": _rate(self.rejected, self.reviewed)}


@dataclass
class Tally:
    """The numbers of one group (a shot type, an engine and model, or the whole shooting)."""

    revisions: int = 0
    approvals: int = 0
    rejections: int = 0
    without_reason: int = 0
    by_reason: dict = field(default_factory=lambda: dict.fromkeys(RejectionReason.values, 0))
    shots_reviewed: int = 0
    first_pass_approved: int = 0
    rework_spent: int = 0
    by_status: dict = field(default_factory=lambda: {status: Rate() for status in PREDICTING})
    checks: dict = field(default_factory=lambda: defaultdict(lambda: {"failed": Rate(), "passed": Rate()}))

    def add(self, row: Row) -> None:
        self.revisions += 1
        if row.status not in REVIEWED:
            return
        rejected = row.status in REJECTED
        self.approvals += not rejected
        if rejected:
            self.rejections += 1
            known = [reason for reason in row.reasons if reason in self.by_reason]
            for reason in known:
                self.by_reason[reason] += 1
            self.without_reason += not known
        if row.quality_status in self.by_status:
            self.by_status[row.quality_status].add(rejected)
        for name in row.failed:
            self.checks[name]["failed"].add(rejected)
        for name in row.passed:
            self.checks[name]["passed"].add(rejected)

    def first_pass(self, approved: bool) -> None:
        self.shots_reviewed += 1
        self.first_pass_approved += approved

    def data(self) -> dict:
        return {
            "revisions": self.revisions, "approvals": self.approvals, "rejections": self.rejections,
            "rejections_by_reason": {**self.by_reason, "without_reason": self.without_reason},
            "shots_reviewed": self.shots_reviewed, "first_pass_approved": self.first_pass_approved,
            "first_pass_approval_rate": _rate(self.first_pass_approved, self.shots_reviewed),
            "rework_spent": self.rework_spent,
            "quality": {
                "by_status": [{"quality_status": status, **rate.data()} for status, rate in self.by_status.items()],
                "checks": [{"name": name, "failed": rates["failed"].data(), "passed": rates["passed"].data()}
                           for name, rates in sorted(self.checks.items())],
            },
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _names(value) -> list[str]:
    """Check names as strings (a check document is written by code, but a name could be anything)."""
    return [str(name) for name in value] if isinstance(value, list) else []


def review_report(shooting_id) -> dict:
    rows = []
    for (shot_id, type_id, type_name, version, status, quality_status, reasons, engine_model, failed,
         passed) in revision_rows(shooting_id):
        engine, model = (list(engine_model) + ["", ""])[:2] if isinstance(engine_model, list) else (UPLOAD, "")
        rows.append(Row(shot_id, type_id, type_name, version, status, quality_status or "",
                        reasons if isinstance(reasons, list) else [], engine or "unknown", model or "",
                        _names(failed), _names(passed)))

    total = Tally()
    shot_types: dict = {}
    engines: dict = {}
    for row in rows:
        groups = (total, shot_types.setdefault(row.shot_type_id, (row.shot_type_name, Tally()))[1],
                  engines.setdefault((row.engine, row.model), Tally()))
        for tally in groups:
            tally.add(row)
        if row.status in REJECTED:
            groups[2].rework_spent += 1

    # First pass: each shot's first reviewed revision, counted in its shot type and its engine.
    first: dict = {}
    for row in rows:
        if row.status in REVIEWED and (row.shot_id not in first or row.version < first[row.shot_id].version):
            first[row.shot_id] = row
    for row in first.values():
        approved = row.status == ShotStatus.APPROVED
        for tally in (total, shot_types[row.shot_type_id][1], engines[(row.engine, row.model)]):
            tally.first_pass(approved)

    for type_id, rework, _ in rework_by_shot_type(shooting_id):
        total.rework_spent += rework or 0
        if type_id in shot_types:
            shot_types[type_id][1].rework_spent = rework or 0

    return {
        "shooting_id": shooting_id,
        "total": total.data(),
        "by_shot_type": [{"shot_type_id": type_id, "shot_type_name": name, **tally.data()}
                         for type_id, (name, tally) in sorted(shot_types.items(),
                                                               key=lambda item: (item[1][0] or "", str(item[0])))],
        "by_engine": [{"engine": engine, "model": model, **tally.data()}
                      for (engine, model), tally in sorted(engines.items())],
    }
