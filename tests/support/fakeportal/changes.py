"""Datasets that change between two looks: one description of a change (:class:`Change`) that every fake applies
to what it serves, in place, as its real server would show it.

    app.change("heritage_trees", Change(add=({"COMMON": "Yew"},), remove=(3,), edit={5: {"HEIGHT": 80.0}}))
    app.change("tree-0077", Change(add_field=(("ward", "number", 7),), retype={"dbh": "text"}))   # Socrata
    app.change("street-trees", Change(remove=(1, 2), touch=False))                              # CKAN

Rows are named by the portal's own row id (ArcGIS: OBJECTID; Socrata: ``:id``; CKAN: the datastore's ``_id``);
added rows get new ids after the highest (Socrata: new ``row-…`` ids), as real servers give them (an id is never
reused). ``add_field`` puts a field at the end with one value in every row; ``retype`` gives a field a new
declared type, with its values converted as the server would send them (ArcGIS Integer→Double: ``12`` → ``12.0``).
``touch`` moves the data-updated date to now, as the real server would (ArcGIS ``editingInfo.lastEditDate``, Socrata
``rowsUpdatedAt``, CKAN the resource's ``last_modified`` and the package's ``metadata_modified``); ``touch=False`` is
a server that does not move it (an old ArcGIS Server without editingInfo): the change must then be found from the
rows. ``renumber`` gives every row a new id afterwards (CKAN: 1..N again; ArcGIS: new OBJECTIDs after the
highest). Each app drops the answers it cached for the dataset, so the next request sees the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    #: new rows (field name -> value; a field not named is null); the app gives each a new row id
    add: tuple[Mapping[str, Any], ...] = ()
    #: row ids to delete
    remove: tuple[Any, ...] = ()
    #: row id -> {field name: new value}
    edit: Mapping[Any, Mapping[str, Any]] = field(default_factory=dict)
    #: (name, the portal's type name, the value every row holds) for each new field, added last
    add_field: tuple[tuple[str, str, Any], ...] = ()
    #: field name -> its new type (the portal's type name)
    retype: Mapping[str, str] = field(default_factory=dict)
    #: the data-updated date moves to now (False: a server that does not move it)
    touch: bool = True
    #: every row gets a new id, as when the table is recreated: CKAN's datastore (xloader, datapusher) numbers
    #: ``_id`` from 1 again on each upload; an ArcGIS overwrite or truncate-and-append gives new OBJECTIDs
    renumber: bool = False


def changed_rows(
    rows: list[dict[str, Any]],
    change: Change,
    key: str,
    new_key: Callable[[int], Any],
    convert: Callable[[str, Any], Any] = lambda _name, value: value,
    renumbered: Callable[[int], Any] | None = None,
) -> list[dict[str, Any]]:
    """``rows`` (each holding its id under ``key``) with ``change`` made: rows removed, edited, added (their ids
    from ``new_key(n)``, n counting from 0), the new fields filled in, and the retyped fields' values passed
    through ``convert(name, value)``; with ``change.renumber``, the n-th row's id is then ``renumbered(n)``
    (default: ``new_key`` after the added rows' ids). New dicts: the rows given are not touched (fixtures share
    them)."""
    known = {row[key] for row in rows}
    missing = [k for k in (*change.remove, *change.edit) if k not in known]
    if missing:
        raise KeyError(f"no rows with ids {missing!r}")
    names = list(rows[0]) if rows else [key]
    unknown = {n for values in (*change.edit.values(), *change.add) for n in values if n not in names}
    if unknown:
        raise KeyError(f"no fields {sorted(unknown)!r} (add them with add_field)")
    gone = set(change.remove)
    out = []
    for row in rows:
        if row[key] in gone:
            continue
        row = {**row, **change.edit.get(row[key], {})}
        out.append(row)
    for n, new in enumerate(change.add):
        out.append({**{name: None for name in names}, **new, key: new_key(n)})
    for name, _type, value in change.add_field:
        for row in out:
            row[name] = value
    for name in change.retype:
        for row in out:
            if row.get(name) is not None:
                row[name] = convert(name, row[name])
    if change.renumber:
        fresh = renumbered or (lambda n: new_key(len(change.add) + n))
        out = [{**row, key: fresh(n)} for n, row in enumerate(out)]
    return out
