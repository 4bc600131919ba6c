"""Access control of the daemon's real HTTP app, route by route, from a real server.

The routes are read from the app's own OpenAPI schema, so a route added later is
checked without anyone editing this file: one that changes something and forgets
`Depends(require(Role.OPERATOR))` makes these tests fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from broadcastd.access import Role
from broadcastd.api.app import OPEN_PATHS
from broadcastd.daemon.runtime import Daemon
from broadcastd.settings import Settings
from broadcastd.store import Store, open_store

from .fakes import MORNING_ID, bearer, make_token, make_user, serve

READING = {"get", "head"}
PASSWORD = "long-enough-password"
SAMPLE_PARAMS = {"broadcast_id": MORNING_ID, "file": "0" * 64 + ".mp3"}


@dataclass
class Server:
    client: httpx.Client
    store: Store
    schema: dict[str, Any]
    tokens: dict[Role, str]

    def operations(self) -> list[tuple[str, str]]:
        """(method, concrete path) of every operation the schema lists."""
        found = []
        for template, operations in self.schema["paths"].items():
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], template)
            found.extend((method, path) for method in operations)
        return found

    def changing(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.operations() if m not in READING]

    def reading(self) -> list[tuple[str, str, str]]:
        """(method, concrete path, template) of every reading operation."""
        found = []
        for template, operations in self.schema["paths"].items():
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], template)
            found.extend((m, path, template) for m in operations if m in READING)
        return found


def daemon_app_server(tmp_path: Path, anonymous_read: bool) -> Iterator[Server]:
    settings = Settings.model_validate(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'broadcastd.db'}"},
            "http": {"anonymous_read": anonymous_read},
            "paths": {"schedules": str(tmp_path), "audio_library": str(tmp_path / "audio")},
        }
    )
    daemon = Daemon(settings)
    store = open_store(settings.database.url)
    store.start()
    daemon.store = store
    tokens = {role: make_token(store, f"test-{role.value}", role) for role in Role}
    for role in Role:
        make_user(store, f"user-{role.value}", role, PASSWORD)
    try:
        with serve(daemon.http_app()) as base_url, httpx.Client(
            base_url=base_url, timeout=10
        ) as client:
            yield Server(client, store, client.get("/openapi.json").json(), tokens)
    finally:
        store.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from daemon_app_server(tmp_path, anonymous_read=False)


@pytest.fixture
def open_server(tmp_path: Path) -> Iterator[Server]:
    yield from daemon_app_server(tmp_path, anonymous_read=True)


def test_the_schema_lists_the_changing_routes_and_their_security(server: Server) -> None:
    changing = server.changing()
    assert ("post", f"/broadcasts/{MORNING_ID}/cancel") in changing
    scheme = server.schema["components"]["securitySchemes"]["token"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for template, operations in server.schema["paths"].items():
        for method, operation in operations.items():
            if method not in READING or template not in OPEN_PATHS:
                assert operation.get("security") == [{"token": []}], (method, template)
                assert {"401", "403"} <= set(operation["responses"]), (method, template)


def test_every_change_refuses_no_token_unknown_token_and_a_viewer(server: Server) -> None:
    for method, path in server.changing():
        for headers in ({}, bearer("bcd_not-a-token"), {"Authorization": "Basic dXNlcjpwdw=="}):
            response = server.client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
        response = server.client.request(method, path, headers=bearer(server.tokens[Role.VIEWER]))
        assert response.status_code == 403, (method, path, response.text)
        for role in (Role.OPERATOR, Role.ADMIN):
            response = server.client.request(method, path, headers=bearer(server.tokens[role]))
            assert response.status_code not in (401, 403), (method, path, role, response.text)


def signed_in(base_url: str, role: Role) -> tuple[httpx.Client, str]:
    """A client holding a session of the user with `role`, and the session's CSRF token."""
    client = httpx.Client(base_url=base_url, timeout=10)
    answer = client.post("/login", data={"name": f"user-{role.value}", "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found
    return client, found.group(1)


def test_every_change_with_a_session_needs_its_role_and_its_csrf_token(server: Server) -> None:
    base_url = str(server.client.base_url)
    viewer, viewer_csrf = signed_in(base_url, Role.VIEWER)
    try:
        for method, path in server.changing():
            response = viewer.request(method, path, headers={"X-CSRF-Token": viewer_csrf})
            assert response.status_code == 403, (method, path, response.text)
    finally:
        viewer.close()
    for role in (Role.OPERATOR, Role.ADMIN):
        client, csrf = signed_in(base_url, role)
        try:
            for method, path in server.changing():
                for headers in ({}, {"X-CSRF-Token": "forged"}):
                    response = client.request(method, path, headers=headers)
                    assert response.status_code == 403, (method, path, role, response.text)
                response = client.request(method, path, headers={"X-CSRF-Token": csrf})
                assert response.status_code not in (401, 403), (method, path, role, response.text)
        finally:
            client.close()


def test_every_guarded_read_takes_a_viewer_session(server: Server) -> None:
    client, _ = signed_in(str(server.client.base_url), Role.VIEWER)
    try:
        for method, path, template in server.reading():
            if template not in OPEN_PATHS:
                response = client.request(method, path)
                assert response.status_code not in (401, 403), (method, path, response.text)
    finally:
        client.close()


def test_even_with_anonymous_read_a_change_needs_a_token(open_server: Server) -> None:
    for method, path in open_server.changing():
        assert open_server.client.request(method, path).status_code == 401, (method, path)


def test_reading_needs_a_viewer_token(server: Server) -> None:
    guarded = [(m, p) for m, p, template in server.reading() if template not in OPEN_PATHS]
    assert {p for _, p in guarded} >= {
        "/status", "/broadcasts", "/schedule", "/metrics",
        "/reports/deliveries.csv", "/reports/deliveries.xlsx",
    }
    for method, path in guarded:
        assert server.client.request(method, path).status_code == 401, (method, path)
        for role in Role:
            response = server.client.request(method, path, headers=bearer(server.tokens[role]))
            assert response.status_code not in (401, 403), (method, path, role)


def test_with_anonymous_read_anyone_reads(open_server: Server) -> None:
    for method, path, _ in open_server.reading():
        assert open_server.client.request(method, path).status_code not in (401, 403), path
    # A token that is sent must still be a real one.
    response = open_server.client.get("/status", headers=bearer("bcd_revoked-long-ago"))
    assert response.status_code == 401


def test_health_audio_and_docs_stay_open(server: Server) -> None:
    client = server.client
    assert client.get("/healthz").status_code in (200, 503)
    # Not in the catalogue: 404, not 401; the speakers never hold a token.
    assert client.get(f"/audio/{'0' * 64}.mp3").status_code == 404
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_a_cross_site_form_post_or_a_token_outside_the_header_is_refused(
    server: Server,
) -> None:
    """What a page on another site can make a LAN user's browser send."""
    client, token = server.client, server.tokens[Role.ADMIN]
    path = f"/broadcasts/{MORNING_ID}/cancel"
    form = client.post(
        path,
        content=b"reason=gotcha",
        headers={
            "Origin": "http://evil.example",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert form.status_code == 401
    for name in ("token", "access_token", "api_key", "authorization"):
        assert client.post(path, params={name: token}).status_code == 401, name
        client.cookies.set(name, token)
        assert client.post(path).status_code == 401, name
        client.cookies.clear()
    preflight = client.options(
        path,
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-headers" not in preflight.headers


def test_refusals_are_logged_with_the_token_name_never_the_token(server: Server) -> None:
    viewer = server.tokens[Role.VIEWER]
    path = f"/broadcasts/{MORNING_ID}/cancel"
    with capture_logs() as logs:
        assert server.client.post(path, headers=bearer(viewer)).status_code == 403
        assert server.client.post(path, headers=bearer("bcd_guessed")).status_code == 401
        assert server.client.post(path).status_code == 401
    refusals = [entry for entry in logs if entry["event"] == "http request refused"]
    assert [(entry["status"], entry["why"]) for entry in refusals] == [
        (403, "role too small"),
        (401, "unknown token"),
        (401, "no token"),
    ]
    assert refusals[0]["token"] == "test-viewer" and refusals[0]["needed"] == "operator"
    assert all(entry["path"] == path for entry in refusals)
    text = repr(logs)
    assert viewer not in text and "bcd_guessed" not in text


def test_using_a_token_marks_it_used(server: Server) -> None:
    from broadcastd.store.access import list_tokens

    server.client.get("/status", headers=bearer(server.tokens[Role.VIEWER]))
    assert server.store.flush()
    with server.store.engine.connect() as conn:
        used = {t.name: t.last_used_at for t in list_tokens(conn)}
    assert used["test-viewer"] is not None and used["test-admin"] is None


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.ADMIN.allows(Role.VIEWER)
    assert Role.OPERATOR.allows(Role.VIEWER) and not Role.OPERATOR.allows(Role.ADMIN)
    assert not Role.VIEWER.allows(Role.OPERATOR)


def test_the_loopback_demo_reads_freely_and_production_does_not() -> None:
    from broadcastd.settings import load_settings

    root = Path(__file__).resolve().parents[2]
    demo = load_settings(root / "config" / "broadcastd.yaml")
    assert demo.http.anonymous_read and demo.http.host == "127.0.0.1"
    production = load_settings(root / "deploy" / "broadcastd.yaml")
    assert not production.http.anonymous_read


def test_a_change_route_added_without_a_guard_still_needs_an_operator(
    store: Store,
) -> None:
    """The net under the guards: someone forgets `require(...)` and hides the route
    from the schema; it still cannot be used without an operator token."""
    from fastapi import APIRouter

    from broadcastd.api import create_app

    from .fakes import FakeDaemon

    app = create_app(store, FakeDaemon())
    forgotten = APIRouter()
    calls: list[str] = []

    @forgotten.post("/forgotten", include_in_schema=False)
    def forgotten_change() -> dict[str, str]:
        calls.append("changed")
        return {"changed": "yes"}

    app.include_router(forgotten)
    viewer = make_token(store, "kiosk", Role.VIEWER)
    operator = make_token(store, "office", Role.OPERATOR)
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        refused = client.post("/forgotten")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.post("/forgotten", headers=bearer(viewer)).status_code == 403
        assert client.put("/forgotten", headers=bearer("bcd_nope")).status_code == 401
        assert calls == []
        assert client.post("/forgotten", headers=bearer(operator)).status_code == 200
        assert calls == ["changed"]
        # With a session instead of a token, the net checks its CSRF token too.
        make_user(store, "office-user", Role.OPERATOR, PASSWORD)
        assert client.post(
            "/login", data={"name": "office-user", "password": PASSWORD}
        ).status_code == 303
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert found
        assert client.post("/forgotten").status_code == 403
        assert client.post("/forgotten", data={"note": "x"}).status_code == 403
        assert calls == ["changed"]
        changed = client.post("/forgotten", data={"csrf": found.group(1), "note": "x"})
        assert changed.status_code == 200
    assert calls == ["changed", "changed"]
