"""The exception register: record, update, resolve, list and summarise what went wrong.

Every exception flow calls ``record_exception`` inside its own unit of work, so
the record, its first history row and the ``exception.recorded`` event commit
(or roll back) together with the change that caused it::

    with uow:
        ...  # release the missing quantity, adjust stock
        record_exception(uow, type="pick.short", summary="2 x MUG-STONE short at BER-1",
                         order_id=order_id, sku="MUG-STONE", warehouse_code="BER-1")
        uow.commit()

Category, severity, owner group and SLA due time come from configuration (the
``exceptions`` section, ``conveyor.domain.exceptions``) unless the caller
names them: an explicit category wins, then the reason code's category, then
the classifier's verdict on the free text (when confident enough), then the
type's category, then the default. The classifier's category, confidence and
method are stored whenever there is free text, whichever rule decided.

Changes go through conditional updates on the record's ``revision``: of two
people changing the same record at once one wins and the other gets a 409
``exception_changed`` (nothing written), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.exception_tables import exception_history, exception_records, exception_settings
from conveyor.adapters.db.order_tables import orders
from conveyor.adapters.db.workflow_tables import incidents
from conveyor.adapters.workflow.jobs import write_transaction
from conveyor.domain.exceptions import (
    DONE_STATUSES,
    SEVERITIES,
    STATUSES,
    TYPE_PATTERN,
    Classifier,
    ExceptionSettings,
    Severity,
    can_move,
    collect_exception_settings,
    read_exception_settings,
)
from conveyor.domain.problems import Problems
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.services.unit_of_work import SqlUnitOfWork

SETTINGS_ROW = 1
UNSET: Any = object()


class ExceptionNotFound(NotFound):
    code = "exception_not_found"
    title = "Exception record not found"


class InvalidException(InvalidInput):
    code = "invalid_exception"
    title = "Invalid exception record"


class ExceptionChanged(Conflict):
    code = "exception_changed"
    title = "Exception record changed meanwhile"


class ExceptionStatusConflict(Conflict):
    code = "exception_status_conflict"
    title = "Exception status does not allow this"


# --- settings ---------------------------------------------------------------------------


@functools.cache
def default_settings() -> ExceptionSettings:
    """The bundled ``exceptions`` section (``processes/default-config.yaml``)."""
    from conveyor.services.configuration import default_configuration  # import here: no cycle at load

    return read_exception_settings(default_configuration().get("exceptions"))


@functools.lru_cache(maxsize=8)
def _settings_from(document_json: str) -> tuple[ExceptionSettings, Classifier]:
    settings = read_exception_settings(json.loads(document_json))
    return settings, settings.classifier()


@functools.cache
def _default_classifier() -> Classifier:
    return default_settings().classifier()


def stored_settings_document(session: Session) -> Mapping[str, Any] | None:
    """The applied ``exceptions`` section, or None when the bundled defaults apply."""
    row = session.execute(
        select(exception_settings.c.document).where(exception_settings.c.id == SETTINGS_ROW)
    ).first()
    return row.document if row is not None else None


def settings_and_classifier(session: Session) -> tuple[ExceptionSettings, Classifier]:
    document = stored_settings_document(session)
    if document is None:
        return default_settings(), _default_classifier()
    return _settings_from(json.dumps(document, sort_keys=True))


def current_settings(session: Session) -> ExceptionSettings:
    return settings_and_classifier(session)[0]


def exception_settings_problems(data: Any) -> Problems:
    """Every problem of an ``exceptions`` section, with paths under ``exceptions``."""
    problems = Problems()
    collect_exception_settings(data, ("exceptions",), problems)
    return problems


def save_settings(session: Session, document: Mapping[str, Any], at: datetime) -> bool:
    """Store a validated ``exceptions`` section; False when it equals what is stored."""
    read_exception_settings(document)
    current = stored_settings_document(session)
    if current is not None and json.dumps(current, sort_keys=True) == json.dumps(document, sort_keys=True):
        return False
    if current is None:
        session.execute(
            insert(exception_settings).values(id=SETTINGS_ROW, document=dict(document), updated_at=at)
        )
    else:
        session.execute(
            update(exception_settings)
            .where(exception_settings.c.id == SETTINGS_ROW)
            .values(document=dict(document), updated_at=at)
        )
    return True


# --- recording --------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def record_exception(
    uow: SqlUnitOfWork,
    *,
    type: str,
    summary: str,
    category: str | None = None,
    severity: str | None = None,
    order_id: int | str | None = None,
    order_line_id: int | str | None = None,
    sku: str | None = None,
    warehouse_code: str | None = None,
    carrier_code: str | None = None,
    process_instance_id: int | str | None = None,
    task_id: int | None = None,
    incident_id: int | None = None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    owner_group: str | None = None,
    assignee: str | None = None,
) -> int:
    """File a new record (status open) in the caller's transaction; returns its id.

    Records ``exception.recorded``. An unknown category or severity, or an
    empty type or summary, is ``InvalidException`` naming the field.
    """
    session = uow.session
    settings, classifier = settings_and_classifier(session)
    problems = Problems()
    if not isinstance(type, str) or not type.strip():
        problems.add("type", "is required (a dotted name such as 'pick.short')")
    elif not TYPE_PATTERN.match(type.strip()) or len(type.strip()) > 100:
        problems.add(
            "type", f"must be dotted lower-case words such as 'pick.short' (at most 100), got {type!r}"
        )
    for name, value, size in (
        ("order_id", order_id, 100), ("order_line_id", order_line_id, 100), ("sku", sku, 64),
        ("warehouse_code", warehouse_code, 64), ("carrier_code", carrier_code, 64),
        ("process_instance_id", process_instance_id, 100), ("reason_code", reason_code, 64),
        ("owner_group", owner_group, 100), ("assignee", assignee, 200),
    ):  # fmt: skip
        if value is not None and len(str(value)) > size:
            problems.add(name, f"must be at most {size} characters")
    if not isinstance(summary, str) or not summary.strip():
        problems.add("summary", "is required")
    if category is not None and category not in settings.categories:
        problems.add("category", f"unknown category {category!r}; one of {sorted(settings.categories)}")
    if severity is not None and severity not in SEVERITIES:
        problems.add("severity", f"must be one of {list(SEVERITIES)}, got {severity!r}")
    problems.raise_if_any(InvalidException, "The exception record is invalid")
    at = now or datetime.now(UTC)
    text = reason_text if reason_text and reason_text.strip() else None
    resolved = settings.resolve(
        type, category=category, severity=severity, reason_code=reason_code, text=text, classifier=classifier
    )
    classification = resolved.classification
    values: dict[str, Any] = {
        "type": type.strip(),
        "category": resolved.category,
        "category_source": resolved.category_source,
        "severity": resolved.severity.value,
        "status": "open",
        "summary": summary.strip(),
        "order_id": _text(order_id),
        "order_line_id": _text(order_line_id),
        "sku": sku,
        "warehouse_code": warehouse_code,
        "carrier_code": carrier_code,
        "process_instance_id": _text(process_instance_id),
        "task_id": task_id,
        "incident_id": incident_id,
        "reason_code": reason_code,
        "reason_text": text,
        "classifier_category": classification.category if classification else None,
        "classifier_confidence": classification.confidence if classification else None,
        "classifier_method": classification.method if classification else None,
        "owner_group": owner_group or resolved.owner_group,
        "assignee": assignee,
        "due_at": at + timedelta(hours=resolved.sla_hours),
        "details": _jsonable(details) if details else None,
        "created_at": at,
        "updated_at": at,
        "revision": 1,
    }
    exception_id = int(
        session.execute(
            insert(exception_records).values(**values).returning(exception_records.c.id)
        ).scalar_one()
    )
    initial = {
        k: _jsonable(v) for k, v in values.items() if v is not None and k not in ("created_at", "updated_at")
    }
    _history(session, exception_id, at, "recorded", None, initial)
    uow.record({
        "type": "exception.recorded", "id": exception_id, "order_id": values["order_id"],
        "exception_type": values["type"], "category": values["category"], "severity": values["severity"],
        "owner_group": values["owner_group"], "due_at": values["due_at"], "sku": sku,
        "warehouse_code": warehouse_code, "carrier_code": carrier_code, "at": at,
    })  # fmt: skip
    return exception_id


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _history(
    session: Session,
    exception_id: int,
    at: datetime,
    action: str,
    actor: str | None,
    changes: Mapping[str, Any],
) -> None:
    session.execute(
        insert(exception_history).values(
            exception_id=exception_id, at=at, action=action, actor=actor, changes=dict(changes)
        )
    )


def _load(session: Session, exception_id: int, *, lock: bool = False) -> dict[str, Any]:
    query = select(exception_records).where(exception_records.c.id == exception_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise ExceptionNotFound(f"Exception record {exception_id} does not exist", exception_id=exception_id)
    return dict(row._mapping)


def update_exception(
    uow: SqlUnitOfWork,
    exception_id: int,
    *,
    actor: str | None = None,
    status: str | None = None,
    assignee: str | None = UNSET,
    owner_group: str | None = UNSET,
    severity: str | None = None,
    resolution: str | None = None,
    root_cause: str | None = None,
    expected_revision: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Change a record (assign, move status, severity, resolution, root cause); returns the new row.

    A history row lists each changed field as ``[before, after]``; the event
    is ``exception.resolved`` when the record becomes resolved, else
    ``exception.updated``. Resolving needs a resolution (given now or
    before). A closed record cannot change (409).
    """
    session = uow.session
    write_transaction(session)  # SQLite: take the write lock before reading, so a race is a 409, not a 503
    current = _load(session, exception_id, lock=True)  # PostgreSQL: a racing change waits, then sees ours
    problems = Problems()
    if status is not None and status not in STATUSES:
        problems.add("status", f"must be one of {list(STATUSES)}, got {status!r}")
    if severity is not None and severity not in SEVERITIES:
        problems.add("severity", f"must be one of {list(SEVERITIES)}, got {severity!r}")
    for name, value in (("resolution", resolution), ("root_cause", root_cause)):
        if value is not None and not value.strip():
            problems.add(name, "must not be empty")
    for name, value, size in (("assignee", assignee, 200), ("owner_group", owner_group, 100)):
        if value is not UNSET and value is not None and len(value) > size:
            problems.add(name, f"must be at most {size} characters")
    problems.raise_if_any(InvalidException, "The change is invalid")
    if expected_revision is not None and expected_revision != current["revision"]:
        raise ExceptionChanged(
            f"Exception record {exception_id} is at revision {current['revision']}, not {expected_revision}",
            revision=current["revision"],
        )
    if current["status"] == "closed":
        raise ExceptionStatusConflict(
            f"Exception record {exception_id} is closed; it cannot change", status="closed"
        )
    wanted = status or current["status"]
    if not can_move(current["status"], wanted):
        raise ExceptionStatusConflict(
            f"Exception record {exception_id} cannot go from {current['status']!r} to {wanted!r}",
            status=current["status"],
        )
    changes: dict[str, Any] = {}
    if wanted != current["status"]:
        changes["status"] = wanted
    for name, value in (("assignee", assignee), ("owner_group", owner_group)):
        if value is not UNSET and (value or None) != current[name]:
            changes[name] = value or None
    for name, value in (("severity", severity), ("resolution", resolution), ("root_cause", root_cause)):
        if value is not None and value.strip() != current[name]:
            changes[name] = value.strip()
    if wanted == "resolved" and not (changes.get("resolution") or current["resolution"]):
        raise InvalidException(
            "A resolved exception needs a resolution",
            errors=[
                {
                    "loc": ["resolution"],
                    "path": "resolution",
                    "msg": "is required to resolve",
                    "type": "missing",
                }
            ],
        )
    if (
        wanted == "in_progress"
        and current["status"] == "open"
        and "assignee" not in changes
        and not current["assignee"]
        and actor
    ):
        changes["assignee"] = actor  # taking a record in progress takes it
    if "severity" in changes:  # the SLA follows the severity unless the type sets its own hours
        settings = current_settings(session)
        rule = settings.types.get(current["type"])
        if rule is None or rule.sla_hours is None:
            due = current["created_at"] + timedelta(hours=settings.sla_hours[Severity(changes["severity"])])
            if due != current["due_at"]:
                changes["due_at"] = due
    if not changes:
        return current
    at = now or datetime.now(UTC)
    values = dict(changes, updated_at=at, revision=current["revision"] + 1)
    if changes.get("status") == "resolved":
        values["resolved_at"] = at
    elif changes.get("status") == "open":
        values["resolved_at"] = None
    done = session.execute(
        update(exception_records)
        .where(exception_records.c.id == exception_id, exception_records.c.revision == current["revision"])
        .values(**values)
        .returning(exception_records.c.id)
    ).first()
    if done is None:
        raise ExceptionChanged(
            f"Exception record {exception_id} was changed by someone else meanwhile; reload it"
        )
    action = "resolved" if changes.get("status") == "resolved" else "updated"
    _history(
        session, exception_id, at, action, actor, _jsonable({k: [current[k], v] for k, v in changes.items()})
    )
    uow.record({
        "type": f"exception.{action}", "id": exception_id, "order_id": current["order_id"],
        "exception_type": current["type"], "category": current["category"],
        "status": values.get("status", current["status"]), "changes": sorted(changes), "actor": actor,
        "at": at,
    })  # fmt: skip
    return current | values


def resolve_exception(
    uow: SqlUnitOfWork,
    exception_id: int,
    *,
    resolution: str,
    root_cause: str | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> None:
    """Resolve an open or in-progress record (``exception.resolved``); 409 when already resolved or closed."""
    write_transaction(uow.session)
    current = _load(uow.session, exception_id, lock=True)
    if current["status"] in DONE_STATUSES:
        raise ExceptionStatusConflict(
            f"Exception record {exception_id} is already {current['status']}", status=current["status"]
        )
    if not isinstance(resolution, str) or not resolution.strip():
        raise InvalidException(
            "A resolution is required",
            errors=[{"loc": ["resolution"], "path": "resolution", "msg": "is required", "type": "missing"}],
        )
    update_exception(
        uow,
        exception_id,
        status="resolved",
        resolution=resolution,
        root_cause=root_cause,
        now=now,
        actor=actor,
        expected_revision=current["revision"],
    )


def resolve_open_exceptions(
    uow: SqlUnitOfWork,
    *,
    resolution: str,
    type: str | None = None,
    incident_id: int | None = None,
    task_id: int | None = None,
    order_id: str | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Resolve every open record linked to an incident / task / order (of ``type``); returns their ids."""
    query = select(exception_records.c.id).where(exception_records.c.status.in_(("open", "in_progress")))
    if type is not None:
        query = query.where(exception_records.c.type == type)
    if incident_id is not None:
        query = query.where(exception_records.c.incident_id == incident_id)
    if task_id is not None:
        query = query.where(exception_records.c.task_id == task_id)
    if order_id is not None:
        query = query.where(exception_records.c.order_id == str(order_id))
    ids = [int(i) for i in uow.session.execute(query.order_by(exception_records.c.id)).scalars()]
    for exception_id in ids:
        resolve_exception(uow, exception_id, resolution=resolution, now=now)
    return ids


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExceptionFilter:
    category: str | None = None
    type: str | None = None
    status: Sequence[str] = ()
    severity: str | None = None
    order_id: str | None = None
    sku: str | None = None
    warehouse_code: str | None = None
    carrier_code: str | None = None
    owner: str | None = None  # owner group or assignee
    owner_group: str | None = None
    assignee: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    process_instance_id: str | None = None
    incident_id: int | None = None


def _where(query: Select[Any], f: ExceptionFilter, now: datetime) -> Select[Any]:
    t = exception_records.c
    for column, value in (
        (t.category, f.category), (t.type, f.type), (t.severity, f.severity), (t.order_id, f.order_id),
        (t.sku, f.sku), (t.warehouse_code, f.warehouse_code), (t.carrier_code, f.carrier_code),
        (t.process_instance_id, f.process_instance_id), (t.incident_id, f.incident_id),
        (t.owner_group, f.owner_group), (t.assignee, f.assignee),
    ):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    if f.status:
        query = query.where(t.status.in_(tuple(f.status)))
    if f.owner is not None:
        query = query.where(or_(t.owner_group == f.owner, t.assignee == f.owner))
    if f.created_from is not None:
        query = query.where(t.created_at >= f.created_from)
    if f.created_to is not None:
        query = query.where(t.created_at < f.created_to)
    if f.overdue is True:
        query = query.where(t.status.in_(("open", "in_progress")), t.due_at < now)
    elif f.overdue is False:
        query = query.where(or_(t.status.in_(("resolved", "closed")), t.due_at >= now))
    return query


def validate_filter(f: ExceptionFilter, settings: ExceptionSettings) -> None:
    problems = Problems()
    if f.category is not None and f.category not in settings.categories:
        problems.add("category", f"unknown category {f.category!r}; one of {sorted(settings.categories)}")
    for index, status in enumerate(f.status):
        if status not in STATUSES:
            problems.add(("status", index) if len(f.status) > 1 else "status",
                         f"must be one of {list(STATUSES)}, got {status!r}")  # fmt: skip
    if f.severity is not None and f.severity not in SEVERITIES:
        problems.add("severity", f"must be one of {list(SEVERITIES)}, got {f.severity!r}")
    if f.created_from and f.created_to and f.created_from > f.created_to:
        problems.add("created_to", "must not be before created_from")
    problems.raise_if_any(InvalidException, "The exception filter is invalid")


def encode_cursor(exception_id: int) -> str:
    return base64.urlsafe_b64encode(f"x:{exception_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "x":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidException(
            "The cursor is not one this API returned",
            errors=[{"loc": ["cursor"], "path": "cursor", "msg": "is not a valid cursor", "type": "invalid"}],
        ) from err


def public(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    data = dict(row)
    data["overdue"] = data["status"] in ("open", "in_progress") and data["due_at"] < now
    data["classification"] = (
        {"category": data["classifier_category"], "confidence": data["classifier_confidence"],
         "method": data["classifier_method"]}
        if data.get("classifier_category") else None
    )  # fmt: skip
    return data


def list_exceptions(
    session: Session,
    f: ExceptionFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, ``limit`` at a time; the cursor continues after the last row returned."""
    at = now or datetime.now(UTC)
    validate_filter(f, current_settings(session))
    query = _where(select(exception_records), f, at)
    if cursor:
        query = query.where(exception_records.c.id < decode_cursor(cursor))
    rows = [
        dict(r._mapping)
        for r in session.execute(query.order_by(exception_records.c.id.desc()).limit(limit + 1))
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return [public(r, at) for r in rows], (encode_cursor(rows[-1]["id"]) if more and rows else None)


def get_exception(session: Session, exception_id: int, now: datetime | None = None) -> dict[str, Any]:
    """One record with its history (oldest first)."""
    at = now or datetime.now(UTC)
    record = public(_load(session, exception_id), at)
    history = session.execute(
        select(exception_history)
        .where(exception_history.c.exception_id == exception_id)
        .order_by(exception_history.c.id)
    )
    record["history"] = [
        {"at": h.at, "action": h.action, "actor": h.actor, "changes": h.changes} for h in history
    ]
    return record


SUMMARY_KEYS = ("category", "product", "carrier", "warehouse", "type", "week")


def summarize(
    session: Session, by: str, f: ExceptionFilter | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Counts per group: total, open (open or in progress), overdue, resolved, mean hours to resolve."""
    if by not in SUMMARY_KEYS:
        raise InvalidException(
            f"Cannot summarise by {by!r}",
            errors=[
                {"loc": ["by"], "path": "by", "msg": f"must be one of {list(SUMMARY_KEYS)}", "type": "enum"}
            ],
        )
    at = now or datetime.now(UTC)
    flt = f or ExceptionFilter()
    validate_filter(flt, current_settings(session))
    t = exception_records.c
    postgres = session.get_bind().dialect.name == "postgresql"
    if by == "week":  # per UTC day in SQL, folded into ISO weeks here (a few hundred rows at most)
        key: Any = func.date(func.timezone("UTC", t.created_at)) if postgres else func.date(t.created_at)
    else:
        key = {"category": t.category, "product": t.sku, "carrier": t.carrier_code,
               "warehouse": t.warehouse_code, "type": t.type}[by]  # fmt: skip
    if postgres:
        hours: Any = func.extract("epoch", t.resolved_at - t.created_at) / 3600.0
    else:
        hours = (func.julianday(t.resolved_at) - func.julianday(t.created_at)) * 24.0
    is_open = t.status.in_(("open", "in_progress"))
    query = _where(
        select(
            key.label("key"),
            func.count().label("n"),
            func.sum(case((is_open, 1), else_=0)).label("open"),
            func.sum(case((is_open & (t.due_at < at), 1), else_=0)).label("overdue"),
            func.sum(case((t.resolved_at.is_not(None), 1), else_=0)).label("resolved"),
            func.sum(hours).label("hours"),
        ),
        flt,
        at,
    ).group_by(key)
    groups: dict[str | None, dict[str, Any]] = {}
    for row in session.execute(query):
        name = _week_of(row.key) if by == "week" else (None if row.key is None else str(row.key))
        group = groups.setdefault(
            name, {"key": name, "count": 0, "open": 0, "overdue": 0, "resolved": 0, "_h": 0.0}
        )
        group["count"] += int(row.n)
        group["open"] += int(row.open or 0)
        group["overdue"] += int(row.overdue or 0)
        group["resolved"] += int(row.resolved or 0)
        group["_h"] += float(row.hours or 0)
    out = []
    for name in sorted(groups, key=lambda k: (k is None, k or "")):
        group = groups[name]
        total_hours = group.pop("_h")
        group["mean_hours_to_resolve"] = (
            round(total_hours / group["resolved"], 2) if group["resolved"] else None
        )
        out.append(group)
    return out


def _week_of(day: Any) -> str:
    value = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    year, week, _ = value.isocalendar()
    return f"{year}-W{week:02d}"


def count_open(session: Session, **links: Any) -> int:
    """How many open or in-progress records have the given links (``order_id=...``)."""
    query = (
        select(func.count())
        .select_from(exception_records)
        .where(exception_records.c.status.in_(("open", "in_progress")))
    )
    query = query.where(and_(*(exception_records.c[k] == v for k, v in links.items())))
    return int(session.execute(query).scalar_one())


# --- workflow incidents -----------------------------------------------------------------


def record_incident(
    uow: SqlUnitOfWork,
    *,
    incident_id: int,
    instance_id: str,
    process_key: str,
    business_key: str | None,
    node: str,
    error: str,
    now: datetime | None = None,
) -> int:
    """File a workflow incident (type ``incident.created``, category from configuration: system)."""
    order_id = None
    if business_key:
        found = uow.session.execute(select(orders.c.id).where(orders.c.id == business_key)).first()
        order_id = business_key if found is not None else None
    first_line = (error or "unknown error").strip().splitlines()[0][:300] if error else "unknown error"
    return record_exception(
        uow,
        type="incident.created",
        summary=f"Incident in {process_key} at {node}: {first_line}",
        order_id=order_id,
        process_instance_id=instance_id,
        incident_id=incident_id,
        details={"process": process_key, "node": node, "business_key": business_key, "error": error},
        now=now,
    )


def resolve_incident_records(uow: SqlUnitOfWork, instance_id: str, now: datetime | None = None) -> list[int]:
    """Resolve the open records of this instance's incidents that the runtime has resolved."""
    resolved_incidents = select(incidents.c.id).where(
        incidents.c.instance_id == instance_id, incidents.c.state == "resolved"
    )
    query = select(exception_records.c.id).where(
        exception_records.c.process_instance_id == instance_id,
        exception_records.c.status.in_(("open", "in_progress")),
        exception_records.c.incident_id.in_(resolved_incidents),
    )
    ids = [int(i) for i in uow.session.execute(query.order_by(exception_records.c.id)).scalars()]
    for exception_id in ids:
        resolution = "the runtime resolved the incident (its step ran again or its instance moved on)"
        resolve_exception(uow, exception_id, resolution=resolution, now=now)
    return ids
