"""The conveyor command line: init, token, db, serve -- stdout for scripts, stderr for people."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from conveyor.adapters.db import schema
from conveyor.entrypoints.cli import app as cli_app

CONVEYOR = Path(sys.executable).with_name("conveyor")


def run(database_url: str, *args: str, **env: str) -> Result:
    environment = {"CONVEYOR_DATABASE_URL": database_url, "CONVEYOR_LOG_FORMAT": "json", **env}
    return CliRunner().invoke(cli_app, list(args), env=environment)


def _command_paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


def test_every_command_explains_itself_with_help() -> None:
    paths = list(_command_paths(typer.main.get_command(cli_app)))
    assert {("init",), ("serve",), ("token", "create"), ("token", "list"), ("token", "revoke")} <= set(paths)
    for path in paths:
        result = CliRunner().invoke(cli_app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Usage" in result.stdout, path


def test_serve_help_offers_host_and_port() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert "--host" in result.stdout and "--port" in result.stdout


def test_init_prints_the_first_admin_token_alone_on_stdout(database_url: str) -> None:
    result = run(database_url, "init")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cvr_")
    assert "shown once" in result.stderr


def test_init_again_migrates_nothing_and_prints_no_token(database_url: str) -> None:
    run(database_url, "init")
    again = run(database_url, "init")
    assert again.exit_code == 0
    assert again.stdout == ""
    assert "An admin token already exists" in again.stderr


def test_a_token_from_the_command_line_is_accepted_by_the_api(
    migrated_database_url: str, client: TestClient
) -> None:
    result = run(
        migrated_database_url, "token", "create", "--role", "warehouse", "--name", "packing station 3"
    )
    assert result.exit_code == 0, result.stderr
    secret = result.stdout.strip()
    assert result.stdout == secret + "\n"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["role"] == "warehouse"
    assert me.json()["name"] == "packing station 3"


def test_an_unknown_role_exits_2_listing_the_roles_without_a_traceback(migrated_database_url: str) -> None:
    run(migrated_database_url, "init")
    result = run(migrated_database_url, "token", "create", "--role", "boss", "--name", "x")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Unknown role 'boss'" in result.stderr
    assert "warehouse" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_create_without_a_role_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli_app, ["token", "create", "--name", "x"])
    assert result.exit_code == 2
    assert "--role" in result.stderr


def test_token_list_shows_names_and_roles_but_never_secrets(migrated_database_url: str) -> None:
    admin_secret = run(migrated_database_url, "init").stdout.strip()
    run(migrated_database_url, "token", "create", "--role", "finance", "--name", "refund desk")
    table = run(migrated_database_url, "token", "list")
    assert table.exit_code == 0
    assert "refund desk" in table.stdout and "finance" in table.stdout
    assert admin_secret not in table.stdout
    rows = json.loads(run(migrated_database_url, "token", "list", "--json").stdout)
    assert [(row["name"], row["role"]) for row in rows] == [("admin", "admin"), ("refund desk", "finance")]


def test_a_revoked_token_disappears_from_the_list_and_the_api_refuses_it(
    migrated_database_url: str, client: TestClient
) -> None:
    created = run(migrated_database_url, "token", "create", "--role", "support", "--name", "temp")
    secret = created.stdout.strip()
    token_id = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["token_id"]
    result = run(migrated_database_url, "token", "revoke", str(token_id))
    assert result.exit_code == 0
    assert "Revoked token" in result.stderr
    assert json.loads(run(migrated_database_url, "token", "list", "--json").stdout) == []
    assert len(json.loads(run(migrated_database_url, "token", "list", "--json", "--all").stdout)) == 1
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_revoking_an_unknown_token_exits_3_not_found(migrated_database_url: str) -> None:
    run(migrated_database_url, "init")
    result = run(migrated_database_url, "token", "revoke", "999")
    assert result.exit_code == 3
    assert "No API token with id 999" in result.stderr


def test_db_commands_report_upgrade_and_downgrade_the_schema(database_url: str) -> None:
    assert run(database_url, "db", "current").stdout.strip() == "none"
    assert run(database_url, "db", "upgrade").exit_code == 0
    current = run(database_url, "db", "current")
    assert current.stdout.strip() == schema.head_revision()
    assert "up to date" in current.stderr
    assert run(database_url, "db", "downgrade", "base").exit_code == 0
    assert run(database_url, "db", "current").stdout.strip() == "none"


def test_a_bad_setting_exits_78_naming_the_variable(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'x.db'}", "db", "current", CONVEYOR_PORT="not-a-port")
    assert result.exit_code == 78
    assert "CONVEYOR_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_healthz_and_docs_over_http(tmp_path: Path) -> None:
    """The installed console script: `conveyor init` then `conveyor serve` on a real port."""
    env = {"CONVEYOR_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}", "PATH": str(CONVEYOR.parent)}
    subprocess.run([str(CONVEYOR), "init"], env=env, capture_output=True, check=True, timeout=60)
    port = _free_port()
    server = subprocess.Popen(
        [str(CONVEYOR), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = None
        for _ in range(300):  # waits for start-up; not a timing assertion
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        assert health is not None and health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"
        assert "/api/v1/openapi.json" in httpx.get(f"{base}/docs", timeout=5).text
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr:
            server.stderr.close()


def test_a_database_that_does_not_answer_exits_69_naming_the_url(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    result = run(unreachable, "token", "list")
    assert result.exit_code == 69
    assert "Cannot open the database" in result.stderr
    assert "no-such-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_creates_the_directory_of_a_new_sqlite_database(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'var' / 'data' / 'conveyor.db'}", "init")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "var" / "data" / "conveyor.db").is_file()
