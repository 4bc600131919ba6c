"""The daemon's configuration: what an operator gets right, and told when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcastd.settings import EMBEDDED_PORT, SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broadcastd.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_loads_with_paths_beside_it() -> None:
    settings = load_settings(Path("config/broadcastd.yaml"))
    root = Path("config").resolve().parent
    assert settings.broker.address.embedded
    assert settings.paths.schedules == root / "schedules"
    assert settings.paths.audio_library == root / "audio_library"
    assert settings.database.url == f"sqlite:///{root / 'var' / 'broadcastd.db'}"


def test_the_production_config_loads() -> None:
    settings = load_settings(Path("deploy/broadcastd.yaml"))
    assert not settings.broker.address.embedded


def test_embedded_shorthand_and_explicit_address(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "broker: embedded\n")).broker.address.port == EMBEDDED_PORT
    custom = load_settings(write(tmp_path, "broker: {url: 'embedded://127.0.0.1:2883'}\n"))
    assert (custom.broker.address.port, custom.broker.address.embedded) == (2883, True)
    tls = load_settings(write(tmp_path, "broker: {url: 'mqtts://broker.lan'}\n"))
    assert (tls.broker.address.port, tls.broker.address.tls) == (8883, True)


def test_every_error_is_listed_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "broker:\n"
        "  url: embeded\n"
        "  clientid: x\n"
        "delivery:\n"
        "  lead_time_s: 100000\n"
        "http:\n"
        "  listen: everywhere\n",
    )
    with pytest.raises(SettingsError) as failed:
        load_settings(path)
    text = str(failed.value)
    assert "line 2: broker -> url" in text
    assert "line 3: broker -> clientid: unknown key `clientid` (did you mean `client_id`?)" in text
    assert "line 5: delivery -> lead_time_s" in text
    assert "line 7: http -> listen" in text


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"broadcastd.yaml:3"):
        load_settings(write(tmp_path, "broker:\n  url: embedded\n\tclient_id: x\n"))


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read the configuration"):
        load_settings(tmp_path / "nope.yaml")


def test_the_password_comes_from_the_environment_and_is_never_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMUNE_MQTT_SECRET", "s3cret")
    settings = load_settings(
        write(tmp_path, "broker: {username: broadcastd, password_env: COMMUNE_MQTT_SECRET}\n")
    )
    assert settings.broker.resolved_password() == "s3cret"
    inline = load_settings(write(tmp_path, "broker: {username: b, password: hunter2}\n"))
    assert "hunter2" not in str(inline.redacted())
    assert "hunter2" not in repr(inline)


def test_a_client_id_that_looks_like_a_cluster_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="client_id"):
        load_settings(write(tmp_path, "broker: {client_id: man-lan.loa-01}\n"))


def test_the_embedded_broker_listens_on_loopback_only(tmp_path: Path) -> None:
    from broadcastd.delivery.embedded_broker import EmbeddedBroker, EmbeddedBrokerError

    with pytest.raises(SettingsError, match="loopback only, not on 0.0.0.0"):
        load_settings(write(tmp_path, "broker: 'embedded://0.0.0.0:1884'\n"))
    with pytest.raises(EmbeddedBrokerError, match="loopback only"):
        EmbeddedBroker("10.0.0.2", 1884)
    assert load_settings(write(tmp_path, "broker: 'embedded://[::1]:1884'\n")).broker.address.embedded


def test_tls_files_are_taken_relative_to_the_config_and_must_be_readable(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("PEM")
    settings = load_settings(
        write(tmp_path, "broker: {url: 'mqtts://broker.lan', tls: {ca_file: ca.crt}}\n")
    )
    assert settings.broker.tls is not None and settings.broker.tls.ca_file == tmp_path / "ca.crt"

    with pytest.raises(SettingsError) as failed:
        load_settings(
            write(
                tmp_path,
                "broker: {url: 'mqtts://broker.lan', tls: {ca_file: ca.crt, cert_file: me.crt,"
                " key_file: me.key}}\nhttp: {tls: {cert_file: web.crt, key_file: ca.crt}}\n",
            )
        )
    text = str(failed.value)
    assert f"broker.tls.cert_file: {tmp_path / 'me.crt'}: no such file" in text
    assert f"broker.tls.key_file: {tmp_path / 'me.key'}: no such file" in text
    assert f"http.tls.cert_file: {tmp_path / 'web.crt'}: no such file" in text


def test_tls_settings_that_cannot_work_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not mqtts://"):
        load_settings(write(tmp_path, "broker: {url: 'mqtt://broker.lan', tls: {}}\n"))
    with pytest.raises(SettingsError, match="both cert_file and key_file"):
        load_settings(
            write(tmp_path, "broker: {url: 'mqtts://broker.lan', tls: {cert_file: a.crt}}\n")
        )
