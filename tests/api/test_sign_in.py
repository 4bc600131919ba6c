"""Console sign-in from a browser's point of view: a real uvicorn server, an httpx client
keeping cookies, a real SQLite store and a clock the test moves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from broadcastd.access import Role
from broadcastd.access.passwords import hash_password
from broadcastd.access.tokens import token_digest
from broadcastd.api import create_app
from broadcastd.console.sessions import COOKIE
from broadcastd.settings import ConsoleSettings, Settings
from broadcastd.store import Store
from broadcastd.store.schema import sessions
from broadcastd.store.users import remove_user, set_password

from .fakes import MORNING, MORNING_ID, Clock, FakeDaemon, make_user, serve

PASSWORD = "mật-khẩu-đúng"
OPERATOR = "van-hoa"
VIEWER = "huyen"
CANCEL = f"/broadcasts/{MORNING_ID}/cancel"


class Browser:
    """An httpx client that keeps cookies, as a browser does, and reads forms' tokens."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def sign_in(self, name: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
        return self.client.post("/login", data={"name": name, "password": password},
                                headers=headers)

    def csrf(self) -> str:
        page = self.client.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def session_id(self) -> str | None:
        return self.client.cookies.get(COOKIE)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 29, 1, 0, tzinfo=UTC))


@pytest.fixture
def daemon(store: Store) -> FakeDaemon:
    store.record_broadcast(MORNING, ["coc-1"])
    assert store.flush()
    return FakeDaemon(cancellable={MORNING_ID})


@pytest.fixture
def base_url(store: Store, daemon: FakeDaemon, clock: Clock) -> Iterator[str]:
    make_user(store, OPERATOR, Role.OPERATOR, PASSWORD)
    make_user(store, VIEWER, Role.VIEWER, PASSWORD)
    console = ConsoleSettings(session_idle_min=30, session_max_h=2)
    with serve(create_app(store, daemon, now=clock, console=console)) as url:
        yield url


@pytest.fixture
def browser(base_url: str) -> Iterator[Browser]:
    opened = Browser(base_url)
    yield opened
    opened.client.close()


def set_cookie_of(response: httpx.Response) -> str:
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_the_sign_in_page_is_in_vietnamese_and_uses_only_shipped_files(browser: Browser) -> None:
    page = browser.client.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for label in ("Tên đăng nhập", "Mật khẩu", "Đăng nhập", 'lang="vi"'):
        assert label in page.text
    assert "http://" not in page.text and "https://" not in page.text
    css = re.search(r'href="([^"]+\.css)"', page.text)
    assert css and browser.client.get(css.group(1)).status_code == 200


def test_a_good_password_gives_a_session_cookie_that_reads(browser: Browser) -> None:
    assert browser.client.get("/status").status_code == 401
    with capture_logs() as logs:
        answer = browser.sign_in(VIEWER)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = set_cookie_of(answer)
    assert cookie.startswith(f"{COOKIE}=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
    assert not any(flag.startswith(("max-age", "expires")) for flag in flags)
    assert browser.client.get("/status").status_code == 200
    assert f"Đã đăng nhập: <strong>{VIEWER}</strong>" in browser.client.get("/login").text
    session_id = browser.session_id()
    assert session_id and all(session_id not in str(entry) for entry in logs)
    assert all(PASSWORD not in str(entry) for entry in logs)


def test_wrong_password_and_unknown_user_get_the_same_answer(browser: Browser) -> None:
    with capture_logs() as logs:
        wrong = browser.sign_in(OPERATOR, "not-the-password")
        unknown = browser.sign_in("nobody", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
        assert "set-cookie" not in answer.headers
    assert browser.client.get("/status").status_code == 401
    refusals = [e for e in logs if e["event"] == "sign-in refused"]
    assert [(e["user"], e["why"]) for e in refusals] == [
        (OPERATOR, "wrong password"), ("nobody", "unknown user")
    ]
    assert all("not-the-password" not in str(e) and PASSWORD not in str(e) for e in logs)


def test_failures_are_limited_per_name_and_per_address(browser: Browser, clock: Clock) -> None:
    for _ in range(5):
        assert browser.sign_in(OPERATOR, "guess").status_code == 401
    limited = browser.sign_in(OPERATOR)  # even the right password, now
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 15 * 60
    assert "thử lại sau 15 phút" in limited.text.lower()
    assert browser.client.get("/status").status_code == 401
    # The address too: five more names tried from here are refused.
    assert browser.sign_in(VIEWER).status_code == 429

    clock.now += timedelta(minutes=15)
    assert browser.sign_in(OPERATOR).status_code == 303


def test_the_address_limit_catches_many_names(browser: Browser) -> None:
    for n in range(5):
        assert browser.sign_in(f"guess-{n}", "guess").status_code == 401
    assert browser.sign_in(VIEWER).status_code == 429


def test_sessions_end_when_idle_and_at_their_absolute_end(browser: Browser, clock: Clock) -> None:
    assert browser.sign_in(VIEWER).status_code == 303
    clock.now += timedelta(minutes=29)
    assert browser.client.get("/status").status_code == 200  # used: idle time starts again
    clock.now += timedelta(minutes=29)
    assert browser.client.get("/status").status_code == 200
    clock.now += timedelta(minutes=31)
    assert browser.client.get("/status").status_code == 401

    assert browser.sign_in(VIEWER).status_code == 303
    for _ in range(4):  # busy for two hours, never idle for long
        clock.now += timedelta(minutes=25)
        assert browser.client.get("/status").status_code == 200
    clock.now += timedelta(minutes=25)  # 2 h 05 after sign-in: session_max_h is 2
    assert browser.client.get("/status").status_code == 401


def test_sign_out_ends_the_session_and_needs_its_csrf_token(browser: Browser) -> None:
    assert browser.sign_in(VIEWER).status_code == 303
    session_id = browser.session_id()
    assert browser.client.post("/logout").status_code == 403  # another site could do this
    assert browser.client.get("/status").status_code == 200
    out = browser.client.post("/logout", data={"csrf": browser.csrf()})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser.session_id() is None
    # The old id, replayed (a copied cookie), no longer works.
    replayed = httpx.get(f"{browser.client.base_url}/status", cookies={COOKIE: session_id or ""})
    assert replayed.status_code == 401


def test_removing_the_user_or_changing_the_password_ends_sessions(
    base_url: str, store: Store
) -> None:
    first, second, third = Browser(base_url), Browser(base_url), Browser(base_url)
    for browser in (first, second):
        assert browser.sign_in(OPERATOR).status_code == 303
    assert third.sign_in(VIEWER).status_code == 303
    with store.engine.begin() as conn:
        set_password(conn, OPERATOR, hash_password("a-new-password"), datetime.now(UTC), "test")
    assert first.client.get("/status").status_code == 401
    assert second.client.get("/status").status_code == 401
    assert first.sign_in(OPERATOR, "a-new-password").status_code == 303
    assert first.client.get("/status").status_code == 200

    with store.engine.begin() as conn:
        assert remove_user(conn, OPERATOR, datetime.now(UTC), "test")
    assert first.client.get("/status").status_code == 401
    assert third.client.get("/status").status_code == 200  # other users keep theirs


def test_a_password_changed_from_a_session_ends_only_the_others(
    base_url: str, store: Store
) -> None:
    """What the console's own "change my password" will do: the session that asked
    stays, the user's other sessions (another phone) end."""
    here, there = Browser(base_url), Browser(base_url)
    for browser in (here, there):
        assert browser.sign_in(OPERATOR).status_code == 303
    kept = token_digest(here.session_id() or "")
    with store.engine.begin() as conn:
        set_password(conn, OPERATOR, hash_password("a-new-password"), datetime.now(UTC), "test",
                     keep_session=kept)
    assert here.client.get("/status").status_code == 200
    assert there.client.get("/status").status_code == 401


def stored_sessions(store: Store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(sessions.select()).all())


def test_signing_in_again_replaces_the_session_and_clears_abandoned_ones(
    base_url: str, store: Store, clock: Clock
) -> None:
    abandoned, browser = Browser(base_url), Browser(base_url)
    assert abandoned.sign_in(VIEWER).status_code == 303  # then the browser is closed
    clock.now += timedelta(minutes=31)
    assert browser.sign_in(OPERATOR).status_code == 303
    first = browser.session_id()
    assert stored_sessions(store) == 1  # the abandoned one, idle too long, is gone
    assert browser.sign_in(OPERATOR).status_code == 303
    assert browser.session_id() != first and stored_sessions(store) == 1
    replayed = httpx.get(f"{browser.client.base_url}/status", cookies={COOKIE: first or ""})
    assert replayed.status_code == 401


def test_the_sign_in_page_is_not_cached_and_a_proxy_port_is_not_cross_site(
    browser: Browser,
) -> None:
    assert browser.client.get("/login").headers["cache-control"] == "no-store"
    host = browser.client.base_url.host
    behind_proxy = browser.sign_in(VIEWER, Origin=f"https://{host}:8443")
    assert behind_proxy.status_code == 303
    assert browser.client.get("/login").headers["cache-control"] == "no-store"


def test_a_viewer_session_reads_but_cannot_cancel(browser: Browser, daemon: FakeDaemon) -> None:
    assert browser.sign_in(VIEWER).status_code == 303
    assert browser.client.get(f"/broadcasts/{MORNING_ID}").status_code == 200
    csrf = browser.csrf()
    refused = browser.client.post(CANCEL, json={"reason": "x"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and "role viewer" in refused.text
    assert daemon.cancelled == []


def test_an_operator_session_cancels_only_with_its_csrf_token(
    browser: Browser, daemon: FakeDaemon
) -> None:
    assert browser.sign_in(OPERATOR).status_code == 303
    with capture_logs() as logs:
        refused = browser.client.post(CANCEL, json={"reason": "mưa bão"})
        wrong = browser.client.post(CANCEL, json={"reason": "mưa bão"},
                                    headers={"X-CSRF-Token": "forged"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert wrong.status_code == 403
    assert daemon.cancelled == []
    refusals = [e for e in logs if e["event"] == "http request refused"]
    assert refusals and all(e["user"] == OPERATOR for e in refusals)
    session_id = browser.session_id()
    assert session_id and all(session_id not in str(e) for e in logs)

    done = browser.client.post(CANCEL, json={"reason": "mưa bão"},
                               headers={"X-CSRF-Token": browser.csrf()})
    assert done.status_code == 200, done.text
    assert daemon.cancelled_by == [(OPERATOR, "mưa bão")]


def test_a_cross_site_form_with_the_cookie_is_refused(browser: Browser, daemon: FakeDaemon) -> None:
    """What a page on another site makes a signed-in browser send: the cookie (if the
    browser sends it at all) and a form without the session's token."""
    assert browser.sign_in(OPERATOR).status_code == 303
    forged = browser.client.post(
        CANCEL, data={"reason": "giả mạo"}, headers={"Origin": "http://evil.example"}
    )
    assert forged.status_code == 403
    assert daemon.cancelled == []
    # A sign-in form posted from another site is refused too (login CSRF).
    other = Browser(str(browser.client.base_url))
    posted = other.sign_in(VIEWER, Origin="http://evil.example")
    assert posted.status_code == 403 and "set-cookie" not in posted.headers


def test_the_form_field_carries_the_token_through_the_middleware(
    browser: Browser, daemon: FakeDaemon
) -> None:
    """A form body read for its `csrf` field reaches the route whole."""
    assert browser.sign_in(OPERATOR).status_code == 303
    assert daemon.cancelled == []
    csrf = browser.csrf()
    # The cancel route takes JSON; a form with the right token passes the guards and
    # reaches it (422 for its shape), unlike one without (403).
    with_token = browser.client.post(CANCEL, data={"csrf": csrf, "reason": "x"})
    without = browser.client.post(CANCEL, data={"reason": "x"})
    assert with_token.status_code not in (401, 403), with_token.text
    assert without.status_code == 403


def secure_flag(settings: dict[str, object], tmp_path: Path) -> bool:
    from broadcastd.daemon.runtime import Daemon
    from broadcastd.store import open_store

    config = Settings.model_validate(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'secure.db'}"},
            "paths": {"schedules": str(tmp_path), "audio_library": str(tmp_path / "audio")},
            "http": settings,
        }
    )
    daemon = Daemon(config)
    store = open_store(config.database.url)
    store.start()
    daemon.store = store
    make_user(store, VIEWER, Role.VIEWER, PASSWORD)
    try:
        with serve(daemon.http_app()) as url, httpx.Client(base_url=url, timeout=10) as client:
            answer = client.post("/login", data={"name": VIEWER, "password": PASSWORD})
            assert answer.status_code == 303
            flags = {p.strip().lower() for p in set_cookie_of(answer).split(";")[1:]}
            return "secure" in flags
    finally:
        store.stop()


def test_the_cookie_is_secure_behind_tls_or_a_tls_proxy(tmp_path: Path) -> None:
    assert not secure_flag({}, tmp_path / "plain")
    assert secure_flag({"secure_cookies": True}, tmp_path / "proxy")
    tls = {"cert_file": str(tmp_path / "cert.pem"), "key_file": str(tmp_path / "key.pem")}
    assert secure_flag({"tls": tls}, tmp_path / "tls")


def test_a_session_the_database_cannot_keep_is_a_503_without_a_cookie(
    browser: Browser, store: Store
) -> None:
    from sqlalchemy import text

    with store.engine.begin() as conn:  # the fault: every new session row is refused
        conn.execute(text(
            "CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ))
    with capture_logs() as logs:
        answer = browser.sign_in(VIEWER)
    assert answer.status_code == 503 and "set-cookie" not in answer.headers
    assert "Hãy thử lại sau" in answer.text
    assert any(e["event"] == "sign-in failed" and e["user"] == VIEWER for e in logs)
    assert browser.client.get("/status").status_code == 401
