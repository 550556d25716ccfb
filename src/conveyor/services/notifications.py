"""Email notifications: render from templates when queued, send after commit with retries.

``send_notification`` is what a process step or a use case calls inside its
own unit of work. It renders the message from the Jinja2 templates for the
event type (a channel's own templates win over the defaults), stores it in
``notifications`` as ``queued`` and records ``notification.queued``, all in
the caller's transaction: a rolled-back business change sends nothing.

Sending happens outside any business transaction, in the workers' notification
step (``deliver_due_notifications``; ``conveyor serve`` and ``conveyor worker``
run it on every poll of their first worker). Each message is leased first (its
``next_attempt_at`` moves past the SMTP timeout and ``attempts`` grows, in a
short transaction of its own), then sent, then marked ``sent``
(``notification.sent``) or, after a failure, queued again with an exponential
backoff, until ``CONVEYOR_SMTP_MAX_ATTEMPTS`` attempts made it ``failed``
(``notification.failed``, with the last error). A worker that dies mid-send
leaves the lease to expire and the message is tried again: delivery is at
least once.

Templates (``src/conveyor/templates/notifications/``, or first
``CONVEYOR_SMTP_TEMPLATES_DIR`` when set) are named after the event type:
``<event>.subject.txt`` and ``<event>.txt`` (both required) and
``<event>.html`` (optional; autoescaped). ``<channel>/<event>.<part>``
overrides a part for one channel. An event type without templates whose
context names an order ``milestone`` (the customer-notifications process
passes it) gets the generic ``status.*`` message; any other missing template
is an error naming the files looked for. Rendering is strict: a variable the
template uses but the context lacks is an error naming it, never a blank.
"""

from __future__ import annotations

import random
import smtplib
import ssl
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.channel_tables import notifications
from conveyor.adapters.workflow.jobs import write_transaction
from conveyor.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from conveyor.logs import get_logger
from conveyor.services.unit_of_work import SqlUnitOfWork

log = get_logger(__name__)

BUNDLED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "notifications"
PARTS = ("subject.txt", "txt", "html")
STATUS_TEMPLATE = "status"  # the fallback for an order milestone (context ``milestone``) without templates


class SmtpSettings(BaseSettings):
    """How notifications leave: ``CONVEYOR_SMTP_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_SMTP_", extra="ignore", frozen=True)

    host: str = Field(default="localhost", description="SMTP server")
    port: int = Field(default=25, ge=1, le=65535)
    tls: Literal["starttls", "ssl", "none"] = Field(
        default="none", description="starttls (usually port 587), ssl (implicit TLS, 465) or none"
    )
    username: str | None = Field(default=None, description="Log in with this user when set")
    password: SecretStr | None = None
    from_address: str = Field(default="Conveyor <no-reply@localhost>", description="The From header")
    timeout_seconds: float = Field(default=10.0, gt=0)
    ca_file: Path | None = Field(
        default=None,
        description="Trust the CAs in this PEM file (a relay with a private CA); system CAs otherwise",
    )
    dev_dir: Path | None = Field(
        default=None, description="Development mode: write each message as an .eml file here, send nothing"
    )
    max_attempts: int = Field(default=5, ge=1, description="Then the notification is failed")
    retry_base_seconds: float = Field(default=30.0, ge=0, description="First retry delay, doubled each time")
    templates_dir: Path | None = Field(
        default=None, description="Templates searched before the bundled ones (same layout)"
    )

    @field_validator("dev_dir", "templates_dir", "ca_file", "username", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def load_smtp_settings(**overrides: Any) -> SmtpSettings:
    try:
        return SmtpSettings(**overrides)
    except ValidationError as err:
        names = "; ".join(
            f"CONVEYOR_SMTP_{'_'.join(str(p) for p in item['loc']).upper()}: {item['msg']}"
            for item in err.errors()
        )
        raise ConfigurationError(f"Invalid SMTP settings: {names}") from err


class NotificationTemplateMissing(ConfigurationError):
    code = "notification_template_missing"
    title = "Notification template missing"


class NotificationTemplateError(ConfigurationError):
    code = "notification_template_error"
    title = "Notification template error"


# --- templates ----------------------------------------------------------------------------

_environments: dict[Path | None, jinja2.Environment] = {}
_environments_lock = threading.Lock()


def template_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment for one templates directory (cached): strict, HTML autoescaped."""
    with _environments_lock:
        env = _environments.get(templates_dir)
        if env is None:
            loaders: list[jinja2.BaseLoader] = []
            if templates_dir is not None:
                loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
            loaders.append(jinja2.FileSystemLoader(str(BUNDLED_TEMPLATES)))
            env = jinja2.Environment(
                loader=jinja2.ChoiceLoader(loaders),
                autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=False,
            )
            _environments[templates_dir] = env
        return env


def _template(
    env: jinja2.Environment, event_type: str, channel_code: str, part: str
) -> jinja2.Template | None:
    for name in (f"{channel_code}/{event_type}.{part}", f"{event_type}.{part}"):
        try:
            return env.get_template(name)
        except jinja2.TemplateNotFound:
            continue
    return None


def render(
    event_type: str, channel_code: str, context: Mapping[str, Any], *, templates_dir: Path | None = None
) -> tuple[str, str, str | None, str]:
    """(subject, text, html or None, template name) for one event type and channel."""
    env = template_environment(templates_dir)
    found = {part: _template(env, event_type, channel_code, part) for part in PARTS}
    if found["txt"] is None and found["subject.txt"] is None and context.get("milestone"):
        # an order milestone without templates of its own: the generic status message
        found = {part: _template(env, STATUS_TEMPLATE, channel_code, part) for part in PARTS}
    missing = [part for part in ("subject.txt", "txt") if found[part] is None]
    if missing:
        searched = [f"{channel_code}/{event_type}.{part}, {event_type}.{part}" for part in missing]
        raise NotificationTemplateMissing(
            f"No notification template for {event_type!r} on channel {channel_code!r}: "
            f"looked for {'; '.join(searched)} in "
            f"{', '.join(str(d) for d in (templates_dir, BUNDLED_TEMPLATES) if d is not None)}",
            event_type=event_type,
            channel=channel_code,
            missing=missing,
        )
    rendered: dict[str, str | None] = {}
    for part, template in found.items():
        if template is None:
            rendered[part] = None
            continue
        try:
            rendered[part] = template.render(**context)
        except jinja2.TemplateError as err:
            raise NotificationTemplateError(
                f"The notification template {template.name} cannot be rendered: {err}",
                template=template.name,
            ) from err
    subject = " ".join(str(rendered["subject.txt"]).split())  # one line, whatever the template's layout
    if not subject:
        raise NotificationTemplateError(f"The subject template for {event_type!r} renders to nothing")
    template_name = found["txt"].name if found["txt"] is not None else event_type
    return subject, str(rendered["txt"]), rendered["html"], str(template_name)


# --- queueing (in the caller's transaction) -------------------------------------------------


def _check_recipient(recipient: Any) -> str:
    if isinstance(recipient, str):
        _name, address = parseaddr(recipient)
        local, _, domain = address.rpartition("@")
        if local and "." in domain and " " not in address and "\n" not in recipient:
            return recipient.strip()
    raise InvalidInput(
        f"{recipient!r} is not an email address",
        errors=[{"loc": ["recipient"], "path": "recipient", "msg": "must be an email address"}],
    )


def send_notification(
    uow: SqlUnitOfWork,
    *,
    event_type: str,
    channel_code: str,
    order_id: int | str,
    recipient: str,
    context: dict[str, Any],
) -> int:
    """Queue an email for ``recipient`` about ``event_type``; returns the notification id.

    Renders now (a missing template or variable is an error here, in the
    caller's transaction), stores the message as ``queued`` and records
    ``notification.queued``. The workers send it after the commit.
    """
    address = _check_recipient(recipient)
    settings = load_smtp_settings()
    values = {
        **context,
        "event_type": event_type,
        "channel_code": channel_code,
        "order_id": order_id,
        "recipient": address,
    }
    subject, text, html, template = render(
        event_type, channel_code, values, templates_dir=settings.templates_dir
    )
    now = datetime.now(UTC)
    result = uow.session.execute(
        insert(notifications).values(
            event_type=event_type,
            channel_code=channel_code,
            order_id=None if order_id is None else str(order_id),
            recipient=address,
            subject=subject[:998],
            text_body=text,
            html_body=html,
            template=template,
            status="queued",
            attempts=0,
            last_error=None,
            message_id=None,
            next_attempt_at=now,
            created_at=now,
            sent_at=None,
            updated_at=now,
        )
    )
    notification_id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
    uow.record({
        "type": "notification.queued", "order_id": None if order_id is None else str(order_id),
        "notification_id": notification_id, "event_type": event_type, "channel": channel_code,
        "recipient": address, "subject": subject, "at": now,
    })  # fmt: skip
    return notification_id


def get_notification(uow: SqlUnitOfWork, notification_id: int) -> dict[str, Any]:
    with uow:
        row = uow.session.execute(select(notifications).where(notifications.c.id == notification_id)).first()
    if row is None:
        raise NotFound(f"There is no notification {notification_id}")
    return dict(row._mapping)


# --- sending (outside business transactions) ------------------------------------------------


def build_message(row: Mapping[str, Any], settings: SmtpSettings) -> EmailMessage:
    """The MIME message of one stored notification: text, plus an HTML alternative when there is one."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = settings.from_address
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(settings.from_address)[1].rpartition("@")[2] or "conveyor.local"
    message["Message-ID"] = row.get("message_id") or make_msgid(f"notification-{row['id']}", domain=domain)
    message["X-Conveyor-Notification"] = str(row["id"])
    message["X-Conveyor-Event-Type"] = row["event_type"]
    message.set_content(row["text_body"])
    if row.get("html_body"):
        message.add_alternative(row["html_body"], subtype="html")
    return message


def transmit(message: EmailMessage, settings: SmtpSettings, notification_id: int) -> None:
    """Hand one message to the SMTP server (or write it as an .eml file in development mode)."""
    if settings.dev_dir is not None:
        settings.dev_dir.mkdir(parents=True, exist_ok=True)
        target = settings.dev_dir / f"notification-{notification_id:08d}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        partial.replace(target)  # a reader never sees half a file
        return
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    smtp: smtplib.SMTP
    if settings.tls == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout_seconds, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    with smtp:
        if settings.tls == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            password = settings.password.get_secret_value() if settings.password is not None else ""
            smtp.login(settings.username, password)
        smtp.send_message(message)


def _lease(
    session_factory: sessionmaker[Session], now: datetime, settings: SmtpSettings, limit: int
) -> list[int]:
    """Take up to ``limit`` due notifications: move their next attempt past the send's timeout."""
    c = notifications.c
    lease_until = now + timedelta(seconds=settings.timeout_seconds * 3 + 30)
    with SqlUnitOfWork(session_factory) as uow:
        # SQLite: the write lock first; a read that is then turned into a write fails at once
        # ("database is locked", no busy wait) when another connection committed in between
        write_transaction(uow.session)
        query = (
            select(c.id)
            .where(and_(c.status == "queued", or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now)))
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        if uow.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [int(i) for i in uow.session.execute(query).scalars()]
        if ids:
            uow.session.execute(
                update(notifications)
                .where(c.id.in_(ids))
                .values(attempts=c.attempts + 1, next_attempt_at=lease_until, updated_at=now)
            )
        uow.commit()
    return ids


def _backoff(settings: SmtpSettings, attempts: int) -> timedelta:
    base = settings.retry_base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # jitter, not security


def deliver_due_notifications(
    session_factory: sessionmaker[Session],
    *,
    settings: SmtpSettings | None = None,
    now: datetime | None = None,
    limit: int = 20,
) -> int:
    """Send what is due; returns how many were tried. The workers' notification step."""
    settings = settings or load_smtp_settings()
    moment = now or datetime.now(UTC)
    ids = _lease(session_factory, moment, settings, limit)
    for notification_id in ids:
        _deliver_one(session_factory, notification_id, settings, moment)
    return len(ids)


def _deliver_one(
    session_factory: sessionmaker[Session], notification_id: int, settings: SmtpSettings, now: datetime
) -> None:
    c = notifications.c
    with SqlUnitOfWork(session_factory) as uow:
        row = uow.session.execute(select(notifications).where(c.id == notification_id)).first()
    if row is None:
        return
    data = dict(row._mapping)
    error: str | None = None
    message_id: str | None = None
    try:
        message = build_message(data, settings)
        message_id = str(message["Message-ID"])
        transmit(message, settings, notification_id)
    except Exception as err:  # any failure to hand it over counts as a failed attempt, never a lost lease
        error = f"{type(err).__name__}: {err}"
    finished = datetime.now(UTC) if now is None else now
    with SqlUnitOfWork(session_factory) as uow:
        base = {"type": "", "order_id": data["order_id"], "notification_id": notification_id,
                "event_type": data["event_type"], "channel": data["channel_code"],
                "recipient": data["recipient"], "attempts": data["attempts"], "at": finished}  # fmt: skip
        if error is None:
            values = {"status": "sent", "sent_at": finished, "message_id": message_id, "last_error": None,
                      "next_attempt_at": None}  # fmt: skip
            uow.record({**base, "type": "notification.sent", "message_id": message_id})
        elif data["attempts"] >= settings.max_attempts:
            values = {"status": "failed", "last_error": error, "next_attempt_at": None}
            uow.record({**base, "type": "notification.failed", "error": error})
            log.warning("notification_failed", notification_id=notification_id, error=error)
        else:
            retry_at = finished + _backoff(settings, data["attempts"])
            values = {"status": "queued", "last_error": error, "next_attempt_at": retry_at}
            log.info(
                "notification_retry", notification_id=notification_id, error=error, at=retry_at.isoformat()
            )
        uow.session.execute(
            update(notifications).where(c.id == notification_id).values(**values, updated_at=finished)
        )
        uow.commit()


class NotificationSender:
    """The workers' notification step as a thread: send what is due, wait ``poll_seconds`` when idle.

    ``WorkerPool`` (``conveyor serve`` and ``conveyor worker``) runs one beside its job workers, so a
    slow SMTP server never holds up process steps. Several worker processes may each run one: leases
    keep them from sending the same message twice (PostgreSQL skips rows another one has locked).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        stop_event: threading.Event,
        *,
        poll_seconds: float = 1.0,
        settings: SmtpSettings | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.stop_event = stop_event
        self.poll_seconds = poll_seconds
        self.settings = settings or load_smtp_settings()
        self.sent = 0
        self._thread: threading.Thread | None = None

    def run_until_stopped(self) -> None:
        while not self.stop_event.is_set():
            try:
                tried = deliver_due_notifications(self.session_factory, settings=self.settings)
            except Exception:  # a lost database: log it and try again on the next poll
                log.exception("notification_poll_failed")
                tried = 0
            self.sent += tried
            if tried == 0:
                self.stop_event.wait(self.poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run_until_stopped, name="conveyor-notifications", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 60.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)


# --- reading and retrying (the API) -----------------------------------------------------------

_VIEW_COLUMNS = (
    "id", "event_type", "channel_code", "order_id", "recipient", "subject", "template", "status", "attempts",
    "last_error", "message_id", "next_attempt_at", "created_at", "sent_at", "updated_at",
)  # fmt: skip
STATUSES = ("queued", "sent", "failed")


def _view(row: Any, *, with_bodies: bool = False) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in _VIEW_COLUMNS}
    data["id"] = int(data["id"])
    if with_bodies:
        data["text_body"], data["html_body"] = row.text_body, row.html_body
    return data


def list_notifications(
    uow: SqlUnitOfWork,
    *,
    status: str | None = None,
    order_id: str | None = None,
    after: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Notifications oldest first (``after``: the last id of the previous page)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(STATUSES)}, got {status!r}",
            errors=[{"loc": ["query", "status"], "path": "status", "msg": f"one of {', '.join(STATUSES)}"}],
        )
    c = notifications.c
    query = select(notifications).order_by(c.id).limit(limit)
    if status is not None:
        query = query.where(c.status == status)
    if order_id is not None:
        query = query.where(c.order_id == order_id)
    if after is not None:
        query = query.where(c.id > after)
    with uow:
        return [_view(row) for row in uow.session.execute(query)]


def read_notification(uow: SqlUnitOfWork, notification_id: int) -> dict[str, Any]:
    with uow:
        row = uow.session.execute(select(notifications).where(notifications.c.id == notification_id)).first()
    if row is None:
        raise NotFound(f"There is no notification {notification_id}")
    return _view(row, with_bodies=True)


def retry_notification(
    uow: SqlUnitOfWork, notification_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """Queue a failed notification again, due now, with a fresh allowance of attempts."""
    moment = now or datetime.now(UTC)
    c = notifications.c
    with uow:
        row = uow.session.execute(
            select(notifications).where(c.id == notification_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"There is no notification {notification_id}")
        if row.status != "failed":
            raise Conflict(
                f"Notification {notification_id} is {row.status}; only a failed one is retried",
                notification_status=row.status,
            )
        uow.session.execute(
            update(notifications)
            .where(c.id == notification_id)
            .values(status="queued", attempts=0, next_attempt_at=moment, updated_at=moment)
        )
        uow.record({
            "type": "notification.retried", "order_id": row.order_id, "notification_id": notification_id,
            "previous_error": row.last_error, "at": moment,
        })  # fmt: skip
        fresh = uow.session.execute(select(notifications).where(c.id == notification_id)).one()
        uow.commit()
    return _view(fresh)
