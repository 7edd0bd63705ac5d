"""The order in which writers lock a tree of rows: root first, then each level down to the row.

A model takes part by naming its parent (`lock_parent`, the foreign key to the row above it) and
what a missing row is called (`lock_name`, the 404's "<lock_name> not found"). `lock(Shot, pk)`
then locks the shot's shooting, its look and the shot, one statement per level, top-down: a
`select_for_update()` over a join would lock its rows in the order the query names the tables
(bottom-up), and two writers taking one tree in opposite orders deadlock. The lower apps (shots,
outfits) lock their containers through their own foreign keys, so they need not import them.

Parents are locked `FOR NO KEY UPDATE`: writers of one tree wait for each other, while inserting a
child row (which only takes `KEY SHARE` on its parent) does not wait; a delete locks `FOR UPDATE`.
The tree of this project and why its order matters: shootings/locking.py.
"""
from __future__ import annotations

from sartiq.errors import NotFound


def lock_rows(queryset, *, delete: bool):
    """`queryset`'s rows locked (`FOR NO KEY UPDATE`, or `FOR UPDATE` to delete them)."""
    return queryset.select_for_update(of=("self",), no_key=not delete)


def lock(model, pk, *, delete: bool = False):
    """The row `pk` of `model` locked after its parents; its parent attribute is the locked parent
    row (and so on up). 404 when the row (or a parent) is gone, also when it went while we waited."""
    parent_field = getattr(model, "lock_parent", None)
    if parent_field is not None:
        parent_id = model.objects.filter(pk=pk).values_list(f"{parent_field}_id", flat=True).first()
        if parent_id is None:
            raise NotFound(model.lock_name)
        parent = lock(model._meta.get_field(parent_field).related_model, parent_id)
    row = lock_rows(model.objects.filter(pk=pk), delete=delete).first()
    if row is None:
        raise NotFound(model.lock_name)
    if parent_field is not None:
        setattr(row, parent_field, parent)
    return row


def relock(row, *, delete: bool = False):
    """`row` read again, locked after its parents (see `lock`)."""
    return lock(type(row), row.pk, delete=delete)


def lock_tree(rows) -> None:
    """Lock the roots of the trees of `rows` (the rows at the end of their model's `tenant_path`: a
    push's, a generation's or an outfit's shooting), in id order, before writing `rows` themselves.

    For writers that reach a row without its parents (a worker claiming or releasing its row, a
    callback confirming a push): the database's read-version triggers lock the shooting after any
    write under it (sartiq/read_versions.py), so writing the row first would lock bottom-up, and a
    service holding the shooting while it waits for that row would deadlock with it. Runs in the
    caller's transaction (`select_for_update` needs one)."""
    path = getattr(rows.model, "tenant_path", "")
    if not path:
        return
    root = rows.model
    for part in path.split("__"):
        root = root._meta.get_field(part).related_model
    list(lock_rows(root.objects.filter(pk__in=rows.values(path)), delete=False).order_by("pk").values_list("pk"))
