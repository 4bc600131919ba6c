"""MQTT over TLS against a real Mosquitto with a TLS listener, started here on free ports.

The certificates are made the way deploy/install.sh makes them (deploy/make-certs.sh:
a commune CA and a server certificate), plus a client certificate signed by that CA.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from broadcastd.delivery.link import MqttLink
from broadcastd.settings import BrokerSettings, BrokerTls
from tests.conftest import free_port
from tests.integration.site import Site

from .harness import Commune

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("mosquitto") is None or shutil.which("openssl") is None,
        reason="needs mosquitto and openssl (apt-get install mosquitto openssl)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
NEVER_S = 3.0  # how long a link that must not connect is given to try


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def make_certs(folder: Path) -> None:
    subprocess.run(
        ["bash", str(ROOT / "deploy/make-certs.sh"), str(folder), "127.0.0.1"],
        check=True, capture_output=True,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    make_certs(root / "commune")
    make_certs(root / "stranger")  # a CA that did not sign the broker's certificate
    commune = root / "commune"
    key, csr, cert = commune / "client.key", commune / "client.csr", commune / "client.crt"
    subprocess.run(
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
         str(csr), "-subj", "/CN=broadcastd"],
        check=True, capture_output=True,
    )
    subprocess.run(
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(commune / "ca.crt"), "-CAkey",
         str(commune / "ca.key"), "-CAcreateserial", "-CAserial", str(commune / "ca.srl"),
         "-days", "30", "-out", str(cert)],
        check=True, capture_output=True,
    )
    return Pki(
        ca=commune / "ca.crt",
        server_cert=commune / "server.crt",
        server_key=commune / "server.key",
        client_cert=cert,
        client_key=key,
        other_ca=root / "stranger/ca.crt",
    )


@dataclass(frozen=True)
class TlsBroker:
    port: int
    """TLS, a server certificate only."""
    mutual_port: int
    """TLS, and the client must show a certificate signed by the commune's CA."""


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"mosquitto not listening on {port}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def tls_broker(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    folder = tmp_path_factory.mktemp("mosquitto")
    port, mutual = free_port(), free_port()
    files = f"cafile {pki.ca}\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"
    (folder / "mosquitto.conf").write_text(
        ("user root\n" if os.geteuid() == 0 else "")
        + "persistence false\nallow_anonymous true\nlog_dest stderr\n"
        + f"listener {port} 127.0.0.1\n{files}"
        + f"listener {mutual} 127.0.0.1\n{files}require_certificate true\n"
    )
    log = folder / "mosquitto.log"
    process = subprocess.Popen(
        ["mosquitto", "-c", str(folder / "mosquitto.conf")],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    try:
        wait_listening(port, process, log)
        wait_listening(mutual, process, log)
        yield TlsBroker(port, mutual)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def connect() -> Iterator[Callable[[BrokerSettings, float], bool]]:
    """Start a daemon-side link with these settings; whether it connected in time."""
    links: list[MqttLink] = []

    def attempt(settings: BrokerSettings, timeout: float) -> bool:
        link = MqttLink(settings, on_message=lambda message: None,
                        client_id=f"test-tls-{uuid.uuid4().hex[:8]}")
        links.append(link)
        link.start()
        return link.wait_connected(timeout)

    yield attempt
    for link in links:
        link.stop()


def test_the_link_verifies_the_broker_with_the_configured_ca(
    tls_broker: TlsBroker, pki: Pki, connect: Callable[[BrokerSettings, float], bool]
) -> None:
    url = f"mqtts://127.0.0.1:{tls_broker.port}"
    assert connect(BrokerSettings(url=url, tls=BrokerTls(ca_file=pki.ca)), 10)
    # A broker whose certificate the CA did not sign is not talked to.
    assert not connect(BrokerSettings(url=url, tls=BrokerTls(ca_file=pki.other_ca)), NEVER_S)


def test_a_client_certificate_is_presented_when_configured(
    tls_broker: TlsBroker, pki: Pki, connect: Callable[[BrokerSettings, float], bool]
) -> None:
    url = f"mqtts://127.0.0.1:{tls_broker.mutual_port}"
    with_cert = BrokerTls(ca_file=pki.ca, cert_file=pki.client_cert, key_file=pki.client_key)
    assert connect(BrokerSettings(url=url, tls=with_cert), 10)
    assert not connect(BrokerSettings(url=url, tls=BrokerTls(ca_file=pki.ca)), NEVER_S)


def test_the_daemon_runs_over_tls(
    daemon_site: Site, commune: Commune, tls_broker: TlsBroker, pki: Pki
) -> None:
    daemon_site.extra_settings = {
        "broker": {
            "url": f"mqtts://127.0.0.1:{tls_broker.mutual_port}",
            "tls": {"ca_file": str(pki.ca), "cert_file": str(pki.client_cert),
                    "key_file": str(pki.client_key)},
        }
    }
    daemon_site.write(commune.timetable({"morning": commune.window(3600, 600)}))

    daemon_site.start()  # waits for /healthz: ok only with the broker connected

    assert daemon_site.get("/healthz")["checks"]["broker"]["ok"]


def test_the_http_server_serves_https_with_the_configured_certificate(pki: Pki) -> None:
    from fastapi import FastAPI

    from broadcastd.daemon.http_server import HttpServer

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    port = free_port()
    server = HttpServer(app, "127.0.0.1", port, ssl_certfile=str(pki.server_cert),
                        ssl_keyfile=str(pki.server_key))
    server.start()
    try:
        response = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=ssl.create_default_context(cafile=pki.ca),
                             timeout=10)
        assert response.json() == {"status": "ok"}
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not served on that port
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        server.stop()
