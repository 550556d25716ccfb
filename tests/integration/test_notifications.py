"""Notifications: queued in the caller's transaction, sent after commit to a real SMTP server.

The SMTP server is aiosmtpd's ``Controller`` on loopback with a random port,
started by the test; what it receives is parsed back and checked.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from conveyor.adapters.db.channel_tables import notifications
from conveyor.bootstrap import Runtime
from conveyor.errors import InvalidInput
from conveyor.services import outbox
from conveyor.services.notifications import (
    NotificationSender,
    NotificationTemplateError,
    NotificationTemplateMissing,
    deliver_due_notifications,
    load_smtp_settings,
    send_notification,
)


class Inbox:
    """An aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.fail_next = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[Message]:
        return [message_from_bytes(bytes(e.content), policy=default_policy) for e in self.envelopes]  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _queue(runtime: Runtime, **overrides: Any) -> int:
    arguments: dict[str, Any] = {
        "event_type": "order.shipped",
        "channel_code": "web",
        "order_id": "ORD-42",
        "recipient": "ada@example.com",
        "context": {"customer_name": "Ada <Lovelace>", "tracking_number": "1Z999", "external_id": "WEB-7"},
    }
    arguments.update(overrides)
    with runtime.unit_of_work() as uow:
        notification_id = send_notification(uow, **arguments)
        uow.commit()
    return notification_id


def _row(runtime: Runtime, notification_id: int) -> dict[str, Any]:
    with runtime.session_factory() as session:
        row = session.execute(select(notifications).where(notifications.c.id == notification_id)).one()
    return dict(row._mapping)


def test_a_queued_notification_arrives_at_a_real_smtp_server_as_multipart_text_and_html(
    migrated_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    notification_id = _queue(migrated_runtime)
    assert _row(migrated_runtime, notification_id)["status"] == "queued"
    assert inbox.envelopes == []  # nothing leaves inside the business transaction

    settings = load_smtp_settings(host="127.0.0.1", port=port, from_address="Shop <shop@example.com>")
    assert deliver_due_notifications(migrated_runtime.session_factory, settings=settings) == 1

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert envelope.mail_from == "shop@example.com"
    (message,) = inbox.messages()
    assert message["Subject"] == "Your order WEB-7 is on its way"
    assert message["To"] == "ada@example.com"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Tracking number: 1Z999" in text.get_content()
    assert "Hello Ada <Lovelace>," in text.get_content()
    assert "Ada &lt;Lovelace&gt;" in html.get_content()  # HTML is autoescaped
    assert "<strong>1Z999</strong>" in html.get_content()

    row = _row(migrated_runtime, notification_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    assert row["message_id"] == str(message["Message-ID"]).strip()
    with migrated_runtime.session_factory() as session:
        types = [e["type"] for e in outbox.read(session, types=["notification.*"])]
    assert types == ["notification.queued", "notification.sent"]


def test_a_rolled_back_transaction_queues_nothing(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        send_notification(
            uow, event_type="order.created", channel_code="web", order_id=7, recipient="a@example.com",
            context={},
        )  # fmt: skip
        # no commit
    with migrated_runtime.session_factory() as session:
        assert session.execute(select(notifications)).first() is None


def test_a_temporary_smtp_failure_is_retried_later_then_sent(
    migrated_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    inbox.fail_next = 1
    notification_id = _queue(migrated_runtime)
    settings = load_smtp_settings(host="127.0.0.1", port=port, retry_base_seconds=60)
    now = datetime.now(UTC)
    deliver_due_notifications(migrated_runtime.session_factory, settings=settings, now=now)
    row = _row(migrated_runtime, notification_id)
    assert row["status"] == "queued" and row["attempts"] == 1
    assert "451" in row["last_error"]
    assert row["next_attempt_at"] > now + timedelta(seconds=30)
    # not due yet: nothing is tried
    assert deliver_due_notifications(migrated_runtime.session_factory, settings=settings, now=now) == 0
    later = now + timedelta(minutes=5)
    assert deliver_due_notifications(migrated_runtime.session_factory, settings=settings, now=later) == 1
    assert _row(migrated_runtime, notification_id)["status"] == "sent"
    assert len(inbox.envelopes) == 1


def test_after_the_last_attempt_the_notification_is_failed_with_the_error(migrated_runtime: Runtime) -> None:
    notification_id = _queue(migrated_runtime)
    settings = load_smtp_settings(host="127.0.0.1", port=_free_port(), max_attempts=2, retry_base_seconds=0)
    now = datetime.now(UTC)
    for _ in range(2):
        deliver_due_notifications(migrated_runtime.session_factory, settings=settings, now=now)
        now += timedelta(minutes=1)
    row = _row(migrated_runtime, notification_id)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert "Connection" in row["last_error"] or "refused" in row["last_error"].lower()
    with migrated_runtime.session_factory() as session:
        failed = outbox.read(session, types=["notification.failed"])
    assert failed[0]["data"]["notification_id"] == notification_id


def test_development_mode_writes_a_parseable_eml_file(migrated_runtime: Runtime, tmp_path: Path) -> None:
    notification_id = _queue(migrated_runtime, event_type="order.created", context={"total": "19.90"})
    settings = load_smtp_settings(dev_dir=tmp_path / "mail")
    assert deliver_due_notifications(migrated_runtime.session_factory, settings=settings) == 1
    (written,) = (tmp_path / "mail").glob("*.eml")
    assert written.name == f"notification-{notification_id:08d}.eml"
    message = message_from_bytes(written.read_bytes(), policy=default_policy)
    assert message["Subject"] == "We received your order ORD-42"
    assert message["To"] == "ada@example.com"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Total: 19.90" in body.get_content()


def test_a_channel_template_overrides_the_default_and_other_parts_fall_back(
    migrated_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "marketplace").mkdir()
    (tmp_path / "marketplace" / "order.shipped.subject.txt").write_text(
        "Marketplace: {{ order_id }} shipped\n"
    )
    monkeypatch.setenv("CONVEYOR_SMTP_TEMPLATES_DIR", str(tmp_path))
    marketplace = _queue(migrated_runtime, channel_code="marketplace")
    web = _queue(migrated_runtime, channel_code="web")
    assert _row(migrated_runtime, marketplace)["subject"] == "Marketplace: ORD-42 shipped"
    assert "Tracking number: 1Z999" in _row(migrated_runtime, marketplace)["text_body"]
    assert _row(migrated_runtime, web)["subject"] == "Your order WEB-7 is on its way"


def test_a_missing_template_is_a_clear_error_and_queues_nothing(migrated_runtime: Runtime) -> None:
    with pytest.raises(NotificationTemplateMissing) as raised:
        _queue(migrated_runtime, event_type="order.teleported")
    assert "order.teleported.subject.txt" in raised.value.detail
    assert "web/order.teleported.txt" in raised.value.detail
    with migrated_runtime.session_factory() as session:
        assert session.execute(select(notifications)).first() is None


def test_a_template_variable_missing_from_the_context_is_named(
    migrated_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "order.created.subject.txt").write_text("Order {{ order_number }}")
    monkeypatch.setenv("CONVEYOR_SMTP_TEMPLATES_DIR", str(tmp_path))
    with pytest.raises(NotificationTemplateError, match="order_number"):
        _queue(migrated_runtime, event_type="order.created")


def test_a_recipient_that_is_not_an_email_address_is_refused(migrated_runtime: Runtime) -> None:
    with pytest.raises(InvalidInput) as raised:
        _queue(migrated_runtime, recipient="not an address")
    assert raised.value.errors[0]["path"] == "recipient"


def test_the_workers_notification_thread_sends_what_is_queued(
    migrated_runtime: Runtime, smtp_server: tuple[Inbox, int]
) -> None:
    import threading

    inbox, port = smtp_server
    stop = threading.Event()
    settings = load_smtp_settings(host="127.0.0.1", port=port)
    sender = NotificationSender(migrated_runtime.session_factory, stop, poll_seconds=0.05, settings=settings)
    sender.start()
    try:
        notification_id = _queue(migrated_runtime)
        for _ in range(400):  # until it is sent (bounded, no timing assertion)
            if _row(migrated_runtime, notification_id)["status"] == "sent":
                break
            stop.wait(0.05)
    finally:
        sender.stop(timeout=10)
    assert _row(migrated_runtime, notification_id)["status"] == "sent"
    assert [e.rcpt_tos for e in inbox.envelopes] == [["ada@example.com"]]


def test_a_milestone_without_templates_of_its_own_gets_the_generic_status_message(
    migrated_runtime: Runtime,
) -> None:
    notification_id = _queue(
        migrated_runtime,
        event_type="pick_list.created",
        context={"milestone": "picking", "external_id": "WEB-7", "customer_name": "Ada"},
    )
    row = _row(migrated_runtime, notification_id)
    assert row["subject"] == "Your order WEB-7: picking"
    assert "the status of your order is now: picking." in row["text_body"]
    assert row["template"] == "status.txt"


def test_the_documented_python_example_runs(
    migrated_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"
    text = docs.read_text()
    block = re.search(r"```python\n(.*?)```", text[text.index("## Trying it locally") :], re.S)
    assert block is not None
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", migrated_database_url)
    printed: list[tuple[Any, ...]] = []
    namespace: dict[str, Any] = {"print": lambda *args: printed.append(args)}
    exec(compile(block.group(1), str(docs), "exec"), namespace)
    assert printed == [("ada@example.com", "|", "We received your order ORD-DEMO-1")]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl tool; skip without it)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"shop", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # implicit TLS
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_credentials_reach_a_server_that_requires_them(
    migrated_runtime: Runtime, certificate: tuple[Path, Path], mode: str
) -> None:
    import ssl

    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox, port = Inbox(), _free_port()
    options: dict[str, Any] = {"authenticator": _authenticator, "auth_required": True}
    if mode == "starttls":
        options |= {"tls_context": server_context, "require_starttls": True}
    else:
        # implicit TLS: aiosmtpd does not see the socket is encrypted, so it must not insist on STARTTLS
        options |= {"ssl_context": server_context, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        notification_id = _queue(migrated_runtime)
        common = {"host": "127.0.0.1", "port": port, "tls": mode, "username": "shop", "ca_file": cert}
        wrong = load_smtp_settings(**common, password="wrong", max_attempts=1)
        deliver_due_notifications(migrated_runtime.session_factory, settings=wrong)
        failed = _row(migrated_runtime, notification_id)
        assert failed["status"] == "failed" and "Authentication" in failed["last_error"]

        notification_id = _queue(migrated_runtime)
        settings = load_smtp_settings(**common, password="s3cret")
        assert deliver_due_notifications(migrated_runtime.session_factory, settings=settings) == 1
    finally:
        controller.stop()
    assert _row(migrated_runtime, notification_id)["status"] == "sent"
    assert [e.rcpt_tos for e in inbox.envelopes] == [["ada@example.com"]]


def test_a_server_certificate_nobody_vouches_for_is_refused(
    migrated_runtime: Runtime, certificate: tuple[Path, Path]
) -> None:
    import ssl

    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=server_context)
    controller.start()
    try:
        notification_id = _queue(migrated_runtime)
        settings = load_smtp_settings(
            host="127.0.0.1", port=port, tls="ssl", max_attempts=1
        )  # system CAs only
        deliver_due_notifications(migrated_runtime.session_factory, settings=settings)
    finally:
        controller.stop()
    row = _row(migrated_runtime, notification_id)
    assert row["status"] == "failed" and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    assert inbox.envelopes == []


def test_smtp_settings_come_from_the_environment_and_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conveyor.errors import ConfigurationError

    monkeypatch.setenv("CONVEYOR_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("CONVEYOR_SMTP_PORT", "587")
    monkeypatch.setenv("CONVEYOR_SMTP_TLS", "starttls")
    monkeypatch.setenv("CONVEYOR_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("CONVEYOR_SMTP_DEV_DIR", "")  # empty: unset, not the current directory
    settings = load_smtp_settings()
    assert (settings.host, settings.port, settings.tls, settings.dev_dir) == (
        "mail.example.com",
        587,
        "starttls",
        None,
    )
    assert "hunter2" not in repr(settings)
    monkeypatch.setenv("CONVEYOR_SMTP_TLS", "tls1.3")
    with pytest.raises(ConfigurationError, match="CONVEYOR_SMTP_TLS"):
        load_smtp_settings()


def test_taking_due_notifications_holds_the_write_lock_so_a_commit_in_between_cannot_break_it(
    migrated_runtime: Runtime, tmp_path: Path
) -> None:
    """Seen in `make demo`: the poller read, another connection committed, its write then failed."""
    from sqlalchemy import event

    from conveyor.services import notifications as module

    if migrated_runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes row locks (FOR UPDATE SKIP LOCKED); the race is SQLite's snapshot")
    notification_id = _queue(migrated_runtime)
    interfered: list[str] = []

    def commit_elsewhere(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE notifications") and not interfered:
            other = migrated_runtime.engine.raw_connection()
            try:
                other.driver_connection.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
                dbapi = other.driver_connection
                dbapi.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
                dbapi.execute("UPDATE notifications SET template = template")  # type: ignore[union-attr]
                dbapi.execute("COMMIT")  # type: ignore[union-attr]
                interfered.append("committed")
            except Exception as err:  # the lease holds the write lock: nobody commits in between
                interfered.append(type(err).__name__)
            finally:
                other.driver_connection.execute("PRAGMA busy_timeout=5000")  # type: ignore[union-attr]
                other.close()

    event.listen(migrated_runtime.engine, "before_cursor_execute", commit_elsewhere)
    try:
        settings = load_smtp_settings(dev_dir=tmp_path / "mail")
        ids = module._lease(migrated_runtime.session_factory, datetime.now(UTC), settings, 10)
    finally:
        event.remove(migrated_runtime.engine, "before_cursor_execute", commit_elsewhere)
    assert ids == [notification_id]
    assert interfered == ["OperationalError"]
