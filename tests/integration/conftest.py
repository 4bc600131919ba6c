"""Integration fixtures: a generated audio library, a commune site, a simulated fleet."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from broadcastd.audio.ffmpeg import locate_tools
from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig
from tests.conftest import RABBITMQ_MQTT, free_port
from tests.postgres import PostgresDatabase

from .browser import chromium  # noqa: F401  (the browser tests' fixture)
from .site import Site, cluster_names

# Two short bulletins; the tests' playlists name them.
TONES = {"nhac-hieu": 660, "ban-tin-sang": 440}


@pytest.fixture(scope="session")
def audio_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library made the way staff make one: tones generated here, then `audio add`."""
    root = tmp_path_factory.mktemp("audio")
    library = root / "library"
    ffmpeg = locate_tools().ffmpeg
    for name, frequency in TONES.items():
        source = root / f"{name}.wav"
        subprocess.run(
            [str(ffmpeg), "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"sine=frequency={frequency}:duration=3", str(source)],
            check=True,
        )
        subprocess.run(
            [sys.executable, "-m", "broadcastd", "audio", "add", str(source),
             "--name", name, "--title", f"Bản tin {name}", "--library", str(library)],
            check=True,
            capture_output=True,
        )
    return library


PLAYLIST: list[dict[str, Any]] = [
    {"audio": "nhac-hieu"},
    {"audio": "ban-tin-sang"},
    {"stream": "http://127.0.0.1:9/relay", "duration_s": 20, "title": "Tiếp sóng huyện"},
]


@pytest.fixture
def site(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    audio_library: Path,
    broker: tuple[str, int],
    topic_prefix: str,
) -> Iterator[Site]:
    """A commune site storing in SQLite; `parametrize("site", ["postgresql"], indirect=True)`
    gives it a schema of its own in the session's PostgreSQL instead. Its broker is
    Mosquitto unless the test parametrises `broker` (tests/conftest.py)."""
    made = Site(
        root=tmp_path,
        library=audio_library,
        prefix=topic_prefix,
        http_port=free_port(),
        broker_port=broker[1],
    )
    if broker == RABBITMQ_MQTT:  # its retained store answers only filters without wildcards
        made.extra_settings["broker"] = {"retained_on_wildcards": False}
    with ExitStack() as cleanup:
        if getattr(request, "param", "sqlite") == "postgresql":
            database: PostgresDatabase = request.getfixturevalue("postgres")
            made.database_url = cleanup.enter_context(database.schema())
        yield made
        if made.alive():
            made.stop()


MakeFleet = Callable[..., Fleet]


@pytest.fixture
def make_fleet(site: Site) -> Iterator[MakeFleet]:
    fleets: list[Fleet] = []

    def make(**options: Any) -> Fleet:
        config = FleetConfig(
            clusters=tuple(ClusterId(site.commune, name) for name in cluster_names()),
            prefix=site.prefix,
            port=site.broker_port,
            speed=options.pop("speed", 10.0),
            **options,
        )
        fleet = Fleet(config)
        fleet.start()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.stop()
