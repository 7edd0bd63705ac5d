"""Read versions, maintained by PostgreSQL in the writing transaction: the SQL of the triggers.

What a shooting's reads show (its detail, looks, looks-summary, shots) is a function of:
- `shootings_shooting.version`: bumped once per statement that changes the shooting's own fields or
  any row under it (looks, shots, revisions, images, outfits, pushes...), together with the
  shooting's computed statuses (`shot_status_rank`, `status_rank`, contract §3);
- the product versions (`read_versions_product`): a product as an outfit shows it (ProductPublic)
  carries the state of its latest look, its shots and exports, which may be in another shooting;
  every statement that changes a look, shot, revision or push bumps its look's product. Which
  products a shooting's outfits show is kept per shooting (`read_versions_shown_product`), so that
  reading their versions costs the number of distinct products, not of outfits;
- the global version (`read_versions_global`, one row): catalog objects, media, users and
  integrations are shown inside many shootings, so a change to one bumps it (see `Shown`).

Triggers, not calls in the services: a new service, the admin, a bulk update or a worker cannot
forget them, and they run in the transaction that writes (a rollback takes the bump back). They
are statement-level with transition tables, so a bulk insert of 2,000 shots costs one refresh, not
2,000. Each migration that installs them names its tables in one Python table and generates the
SQL with the functions below (integrations/migrations/0008_read_versions.py); a table added later
needs a migration that installs its triggers (shootings/tests/test_read_versions.py lists the tables
that have none, and why).

Concurrency: the refresh locks the affected shootings (`FOR NO KEY UPDATE`, in id order) in a
statement of its own before recomputing the ranks, so the recomputation reads (with a snapshot
taken after the lock) everything committed by the writers it waited for. Whoever writes under a
shooting therefore locks the shooting; writers lock a tree top-down (sartiq/locking.py), and the
workers that write a row first lock its tree (`sartiq.locking.lock_tree`), so the trigger's lock
is never taken after a lower row another writer holds while waiting for that row.
"""
from __future__ import annotations

from dataclasses import dataclass

LOOK_TABLE = "shootings_shootinglook"
SHOOTING_TABLE = "shootings_shooting"
GLOBAL_TABLE = "read_versions_global"
PRODUCT_TABLE = "read_versions_product"
SHOWN_PRODUCT_TABLE = "read_versions_shown_product"
RANK_FUNCTION = "sartiq_status_rank"

# What the API reads with a shooting's version: the global version, and (for the reads that show
# outfits' products) a digest of the versions of those products.
GLOBAL_VERSION_SQL = f"SELECT version FROM {GLOBAL_TABLE} WHERE id = 1"
OUTFIT_PRODUCTS_DIGEST_SQL = f"""
    SELECT md5(string_agg(shown.product_id::text || ':' || coalesce(p.version, 0)::text, ','
                          ORDER BY shown.product_id))
    FROM {SHOWN_PRODUCT_TABLE} shown LEFT JOIN {PRODUCT_TABLE} p ON p.product_id = shown.product_id
    WHERE shown.shooting_id = {SHOOTING_TABLE}.id
"""


@dataclass(frozen=True)
class UnderShooting:
    """A table whose rows a shooting's reads show. `parent` is the foreign key to the row above
    (column, table), up to the look (the look's own is its shooting). `ranks`: its changes can
    change the computed statuses; `products`: its changes can change what its look's product shows
    elsewhere (the product's latest look, shots, exports); `outfit_products`: when its changes can
    change which products the shooting's outfits show: "all" (an outfit's products), "moves" (a
    look or an outfit given another parent; one inserted has no outfit products yet, and one is
    deleted after its outfit products). `unshown`: columns no read shows (a worker's claim and
    lease): an update that changes only those bumps nothing."""

    table: str
    parent: tuple[str, str]
    ranks: bool = False
    products: bool = False
    outfit_products: str = ""  # "", "all" or "moves"
    unshown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shown:
    """A table whose rows are shown inside many shootings: its changes bump the global version.
    `root`: its rows are shown only where a row of another table references them (a product, a
    medium, a user), so only an update changes a read: a new one is shown once referenced, and
    deleting one deletes or clears its references first (Django's on_delete; the foreign keys
    refuse anything else), whose own triggers bump. Other rows (links and children: a guideline's
    subjects, a subject's base images) are shown as members of a list: every event counts.
    `columns`: only these columns are shown (None: all)."""

    table: str
    root: bool = True
    columns: tuple[str, ...] | None = None


def status_rank_sql(order: list[str]) -> str:
    """The rank of a status in the status order (NULL for an unknown one), as an IMMUTABLE function."""
    cases = " ".join(f"WHEN {_literal(name)} THEN {rank}" for rank, name in enumerate(order))
    return (f"CREATE OR REPLACE FUNCTION {RANK_FUNCTION}(status text) RETURNS smallint "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (CASE status {cases} END)::smallint $$;")


def base_sql() -> str:
    """The version tables and the functions every trigger calls."""
    rank = RANK_FUNCTION
    return f"""
CREATE TABLE IF NOT EXISTS {GLOBAL_TABLE} (id smallint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
INSERT INTO {GLOBAL_TABLE} (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {PRODUCT_TABLE} (product_id uuid PRIMARY KEY, version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS {SHOWN_PRODUCT_TABLE} (
    shooting_id uuid NOT NULL, product_id uuid NOT NULL, PRIMARY KEY (shooting_id, product_id));

CREATE OR REPLACE FUNCTION read_versions_bump_global() RETURNS void LANGUAGE sql AS $$
    UPDATE {GLOBAL_TABLE} SET version = version + 1 WHERE id = 1;
$$;

CREATE OR REPLACE FUNCTION read_versions_bump_products(product_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF product_ids IS NULL THEN RETURN; END IF;
    INSERT INTO {PRODUCT_TABLE} AS p (product_id, version)
    SELECT id, 1 FROM unnest(product_ids) AS ids(id) ORDER BY id
    ON CONFLICT (product_id) DO UPDATE SET version = p.version + 1;
END $$;

-- Once per statement and shooting: version + 1 and, when asked, the statuses recomputed.
CREATE OR REPLACE FUNCTION read_versions_refresh(shooting_ids uuid[], with_ranks boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF shooting_ids IS NULL THEN RETURN; END IF;
    -- Locked first, in a statement of its own: the UPDATE below takes its snapshot after the lock,
    -- so it reads what the writers this one waited for committed.
    PERFORM 1 FROM {SHOOTING_TABLE} WHERE id = ANY (shooting_ids) ORDER BY id FOR NO KEY UPDATE;
    IF NOT with_ranks THEN
        UPDATE {SHOOTING_TABLE} SET version = version + 1 WHERE id = ANY (shooting_ids);
        RETURN;
    END IF;
    UPDATE {SHOOTING_TABLE} s
    SET version = s.version + 1, shot_status_rank = r.shot_rank, status_rank = r.status_rank
    FROM (
        SELECT ids.id,
               min(looks.shot_rank) AS shot_rank,
               min(CASE WHEN looks.status = 'DRAFT' THEN {rank}('DRAFT')
                        WHEN looks.shot_rank IS NULL THEN {rank}('WITHOUT_STATUS')
                        ELSE looks.shot_rank END) FILTER (WHERE looks.id IS NOT NULL) AS status_rank
        FROM unnest(shooting_ids) AS ids(id)
        LEFT JOIN LATERAL (
            SELECT l.id, l.status,
                   min({rank}(coalesce(rev.shot_status, 'PENDING'))) FILTER (WHERE shot.id IS NOT NULL) AS shot_rank
            FROM {LOOK_TABLE} l
            LEFT JOIN shots_shot shot ON shot.shooting_look_id = l.id
            LEFT JOIN shots_shotrevision rev ON rev.id = shot.current_revision_id
            WHERE l.shooting_id = ids.id
            GROUP BY l.id
        ) looks ON true
        GROUP BY ids.id
    ) r
    WHERE s.id = r.id;
END $$;

-- The products the shootings' outfits show, computed again (the caller holds the shootings' locks).
CREATE OR REPLACE FUNCTION read_versions_refresh_outfit_products(shooting_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF shooting_ids IS NULL THEN RETURN; END IF;
    DELETE FROM {SHOWN_PRODUCT_TABLE} WHERE shooting_id = ANY (shooting_ids);
    INSERT INTO {SHOWN_PRODUCT_TABLE} (shooting_id, product_id)
    SELECT DISTINCT l.shooting_id, op.product_id
    FROM outfits_outfitproduct op
    JOIN outfits_outfit o ON o.id = op.outfit_id
    JOIN {LOOK_TABLE} l ON l.id = o.shooting_look_id
    WHERE l.shooting_id = ANY (shooting_ids);
END $$;

-- The shooting's own fields: a change bumps its version; what Django writes into the maintained
-- columns is ignored. The refresh above (a trigger's UPDATE, depth > 1) passes through.
CREATE OR REPLACE FUNCTION read_versions_shooting_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN RETURN NEW; END IF;
    NEW.version := OLD.version;
    NEW.shot_status_rank := OLD.shot_status_rank;
    NEW.status_rank := OLD.status_rank;
    IF NEW IS DISTINCT FROM OLD THEN NEW.version := OLD.version + 1; END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS read_versions_row ON {SHOOTING_TABLE};
CREATE TRIGGER read_versions_row BEFORE UPDATE ON {SHOOTING_TABLE}
    FOR EACH ROW EXECUTE FUNCTION read_versions_shooting_row();

-- A shooting that changes tenant changes who sees its looks, so the latest look of their products.
CREATE OR REPLACE FUNCTION read_versions_shooting_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    product_ids uuid[];
BEGIN
    IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
    SELECT array_agg(DISTINCT l.product_id) FILTER (WHERE l.product_id IS NOT NULL) INTO product_ids
    FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN {LOOK_TABLE} l ON l.shooting_id = n.id
    WHERE (o.owner_id, o.organization_id) IS DISTINCT FROM (n.owner_id, n.organization_id);
    PERFORM read_versions_bump_products(product_ids);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS read_versions_tenant ON {SHOOTING_TABLE};
CREATE TRIGGER read_versions_tenant AFTER UPDATE ON {SHOOTING_TABLE}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION read_versions_shooting_tenant();
"""


def under_shooting_sql(tables: list[UnderShooting]) -> str:
    """One function per table and three statement triggers (PostgreSQL allows transition tables
    on a trigger of one event only)."""
    by_table = {t.table: t for t in tables}
    return "\n".join(_under_shooting(t, by_table) for t in tables)


def shown_sql(tables: list[Shown]) -> str:
    return "\n".join(_shown(t) for t in tables)


def drop_sql(tables: list[UnderShooting | Shown]) -> str:
    """Everything the functions above create, for the migration's reverse."""
    parts = [f"DROP FUNCTION IF EXISTS {_function(t)}() CASCADE;" for t in tables]
    parts += [
        f"DROP TRIGGER IF EXISTS read_versions_row ON {SHOOTING_TABLE};",
        f"DROP TRIGGER IF EXISTS read_versions_tenant ON {SHOOTING_TABLE};",
        "DROP FUNCTION IF EXISTS read_versions_shooting_row();",
        "DROP FUNCTION IF EXISTS read_versions_shooting_tenant();",
        "DROP FUNCTION IF EXISTS read_versions_refresh(uuid[], boolean);",
        "DROP FUNCTION IF EXISTS read_versions_refresh_outfit_products(uuid[]);",
        "DROP FUNCTION IF EXISTS read_versions_bump_products(uuid[]);",
        "DROP FUNCTION IF EXISTS read_versions_bump_global();",
        f"DROP FUNCTION IF EXISTS {RANK_FUNCTION}(text);",
        f"DROP TABLE IF EXISTS {GLOBAL_TABLE};",
        f"DROP TABLE IF EXISTS {PRODUCT_TABLE};",
        f"DROP TABLE IF EXISTS {SHOWN_PRODUCT_TABLE};",
    ]
    return "\n".join(parts)


# --- generation -----------------------------------------------------------------------------------
def _function(table: UnderShooting | Shown) -> str:
    return f"read_versions_{table.table}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _changed(table: UnderShooting | Shown) -> str:
    """Whether an updated row changed anything shown (`o` old, `n` new)."""
    if isinstance(table, Shown) and table.columns is not None:
        old = ", ".join(f"o.{c}" for c in table.columns)
        new = ", ".join(f"n.{c}" for c in table.columns)
        return f"ROW({old}) IS DISTINCT FROM ROW({new})"
    unshown = getattr(table, "unshown", ())
    if unshown:
        keys = "ARRAY[" + ", ".join(_literal(c) for c in unshown) + "]"
        return f"(to_jsonb(o) - {keys}) IS DISTINCT FROM (to_jsonb(n) - {keys})"
    return "o IS DISTINCT FROM n"


def _look_path(table: UnderShooting, by_table: dict) -> tuple[list[str], str]:
    """The joins from a row `t` of `table` to its look `l`, and the row's column they start from."""
    if table.table == LOOK_TABLE:
        return [], ""
    joins, alias, current = [], "t", table
    start = current.parent[0]
    step = 0
    while True:
        column, parent = current.parent
        step += 1
        target = "l" if parent == LOOK_TABLE else f"p{step}"
        joins.append(f"JOIN {parent} {target} ON {target}.id = {alias}.{column}")
        if parent == LOOK_TABLE:
            return joins, start
        alias, current = target, by_table[parent]


def _under_shooting(table: UnderShooting, by_table: dict) -> str:
    joins, start = _look_path(table, by_table)
    look = "t" if not joins else "l"
    columns = "shooting_id, product_id" if not joins else start
    path = " ".join(joins)
    aggregate = (f"SELECT array_agg(DISTINCT {look}.shooting_id), "
                 f"array_agg(DISTINCT {look}.product_id) FILTER (WHERE {look}.product_id IS NOT NULL) "
                 f"INTO shooting_ids, product_ids")
    changed = _changed(table)
    updated = (f"(SELECT o.{columns.replace(', ', ', o.')} FROM old_rows o JOIN new_rows n ON n.id = o.id "
               f"WHERE {changed} UNION ALL "
               f"SELECT n.{columns.replace(', ', ', n.')} FROM old_rows o JOIN new_rows n ON n.id = o.id "
               f"WHERE {changed})")
    products = "PERFORM read_versions_bump_products(product_ids);" if table.products else ""
    refresh_outfit_products = "PERFORM read_versions_refresh_outfit_products(shooting_ids);"
    moved = f"o.{table.parent[0]} IS DISTINCT FROM n.{table.parent[0]}"
    outfit_products = {
        "": "",
        "all": refresh_outfit_products,
        # Nested IFs: an expression naming old_rows is planned only for the event that has it.
        "moves": (f"IF TG_OP = 'UPDATE' THEN IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id "
                  f"WHERE {moved}) THEN {refresh_outfit_products} END IF; END IF;"),
    }[table.outfit_products]
    name = _function(table)
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shooting_ids uuid[];
    product_ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {aggregate} FROM new_rows t {path};
    ELSIF TG_OP = 'DELETE' THEN
        {aggregate} FROM old_rows t {path};
    ELSE
        {aggregate} FROM {updated} t {path};
    END IF;
    PERFORM read_versions_refresh(shooting_ids, {str(table.ranks).lower()});
    {outfit_products}
    {products}
    RETURN NULL;
END $$;
{_triggers(table.table, name)}"""


def _shown(table: Shown) -> str:
    name = _function(table)
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One branch per event: a transition table the event has not is not planned.
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {_changed(table)}) THEN
        RETURN NULL;
    END IF;
    PERFORM read_versions_bump_global();
    RETURN NULL;
END $$;
{_triggers(table.table, name, updates_only=table.root)}"""


def _triggers(table: str, function: str, *, updates_only: bool = False) -> str:
    events = [("ins", "INSERT", "NEW TABLE AS new_rows"),
              ("upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
              ("del", "DELETE", "OLD TABLE AS old_rows")]
    if updates_only:
        events = events[1:2]
    return "\n".join(
        f"DROP TRIGGER IF EXISTS read_versions_{suffix} ON {table};\n"
        f"CREATE TRIGGER read_versions_{suffix} AFTER {event} ON {table} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        for suffix, event, referencing in events
    )
