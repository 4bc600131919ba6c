"""`coordination:` in the configuration: single by default, leases only on PostgreSQL,
one MQTT client id per daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcastd.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broadcastd.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_single_daemon_on_sqlite_is_the_default(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "broker: {client_id: bd}\n"))
    assert settings.coordination.mode == "single"
    assert settings.database.url.startswith("sqlite:///")
    assert settings.client_id == "bd"


def test_leases_on_sqlite_are_refused_saying_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs PostgreSQL"):
        load_settings(write(tmp_path, "coordination: {mode: leases}\n"))


def test_with_leases_each_daemon_has_its_own_client_id(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, (
        "database: {url: 'postgresql+psycopg://u@db/broadcastd'}\n"
        "broker: {client_id: bd}\n"
        "coordination: {mode: leases, name: srv-a, lease_s: 10}\n"
    )))
    assert settings.client_id == "bd-srv-a"
    assert settings.coordination.lease_s == 10
    assert settings.broker.shared_subscriptions is True


def test_a_name_that_is_no_plain_word_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="name"):
        load_settings(write(tmp_path, "coordination: {name: 'a/b'}\n"))
