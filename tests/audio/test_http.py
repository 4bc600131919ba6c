"""Serving library files to speakers over real HTTP."""

from __future__ import annotations

import hashlib
import http.client
import shutil
from pathlib import Path

import httpx
import pytest

from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.audio.ffmpeg import AudioTools
from broadcastd.audio.importer import import_file
from tests.audio.conftest import LiveServer


@pytest.fixture(scope="module")
def prepared(tools: AudioTools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library with one 15-second item (about 120 kB), imported once for the module."""
    base = tmp_path_factory.mktemp("prepared")
    source = base / "Dự báo thời tiết.wav"
    import subprocess
    subprocess.run([str(tools.ffmpeg), "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                    "anoisesrc=d=15:c=pink:a=0.2:seed=3", str(source)], check=True)
    import_file(source, base / "lib", name="thoi-tiet", tools=tools)
    return base / "lib"


@pytest.fixture
def item(prepared: Path, library: Path) -> AudioEntry:
    for path in prepared.iterdir():
        shutil.copy2(path, library / path.name)
    entry = Catalogue.load(library).get("thoi-tiet")
    assert entry is not None
    return entry


def raw_get(server: LiveServer, path: str) -> int:
    """Send the path exactly as written (no client-side normalisation of '..')."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_get_serves_the_file_with_its_sha256(live_server: LiveServer, item: AudioEntry,
                                             library: Path) -> None:
    response = httpx.get(f"{live_server.base_url}/audio/{item.file}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["etag"] == f'"{item.sha256}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == (library / item.file).stat().st_size
    assert hashlib.sha256(response.content).hexdigest() == item.sha256


def test_head_gives_headers_without_body(live_server: LiveServer, item: AudioEntry,
                                         library: Path) -> None:
    response = httpx.head(f"{live_server.base_url}/audio/{item.file}")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == (library / item.file).stat().st_size
    assert response.headers["etag"] == f'"{item.sha256}"'


def test_speaker_resumes_a_broken_download(live_server: LiveServer, item: AudioEntry) -> None:
    url = f"{live_server.base_url}/audio/{item.file}"
    received = bytearray()
    with httpx.Client() as client, client.stream("GET", url) as first:
        etag = first.headers["etag"]
        size = int(first.headers["content-length"])
        for chunk in first.iter_raw(8192):
            received += chunk
            if len(received) >= size // 3:
                break  # the 3G link drops here
    assert 0 < len(received) < size

    resumed = httpx.get(url, headers={"Range": f"bytes={len(received)}-", "If-Range": etag})
    assert resumed.status_code == 206
    assert resumed.headers["content-range"] == f"bytes {len(received)}-{size - 1}/{size}"
    received += resumed.content
    assert hashlib.sha256(received).hexdigest() == item.sha256


def test_range_forms_and_unsatisfiable(live_server: LiveServer, item: AudioEntry,
                                       library: Path) -> None:
    url = f"{live_server.base_url}/audio/{item.file}"
    data = (library / item.file).read_bytes()
    middle = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert middle.status_code == 206 and middle.content == data[100:200]
    tail = httpx.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    beyond = httpx.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    stale = httpx.get(url, headers={"Range": "bytes=100-", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == data


def test_if_none_match_gives_304(live_server: LiveServer, item: AudioEntry) -> None:
    url = f"{live_server.base_url}/audio/{item.file}"
    response = httpx.get(url, headers={"If-None-Match": f'"{item.sha256}"'})
    assert response.status_code == 304 and response.content == b""
    assert httpx.get(url, headers={"If-None-Match": '"else"'}).status_code == 200


@pytest.mark.parametrize("path", [
    "/audio/" + "0" * 64 + ".mp3",            # well-formed but unknown
    "/audio/catalogue.yaml",                  # in the library, but not audio
    "/audio/../catalogue.yaml",
    "/audio/..%2Fcatalogue.yaml",
    "/audio/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/audio/%2Fetc%2Fpasswd",
    "/audio//etc/passwd",
    "/audio/..%5c..%5cetc%5cpasswd",
])
def test_unknown_and_escaping_paths_are_404(live_server: LiveServer, item: AudioEntry,
                                            path: str) -> None:
    assert raw_get(live_server, path) == 404


def test_orphans_and_symlinks_out_are_not_served(live_server: LiveServer, item: AudioEntry,
                                                 library: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for speakers")
    link_sha = hashlib.sha256(b"x").hexdigest()
    (library / f"{link_sha}.mp3").symlink_to(secret)
    catalogue = Catalogue.load(library)
    catalogue.add(AudioEntry("link", f"{link_sha}.mp3", "Link", 1.0, link_sha, -16.0, -2.0,
                             "x.mp3", item.imported_at))
    catalogue.save()
    orphan_sha = hashlib.sha256(b"orphan").hexdigest()
    (library / f"{orphan_sha}.mp3").write_bytes(b"orphan")

    assert raw_get(live_server, f"/audio/{link_sha}.mp3") == 404
    assert raw_get(live_server, f"/audio/{orphan_sha}.mp3") == 404
    assert raw_get(live_server, f"/audio/{item.file}") == 200


def test_file_changed_on_disk_is_not_served(live_server: LiveServer, item: AudioEntry,
                                            library: Path) -> None:
    path = library / item.file
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    assert raw_get(live_server, f"/audio/{item.file}") == 404
