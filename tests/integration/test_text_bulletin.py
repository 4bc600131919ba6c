"""A `text:` item through the real daemon: spoken at start with espeak-ng, sent in the
`play` as a file with its sha256, fetched and verified by the simulated clusters."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import MakeFleet
from tests.integration.site import Site, Slot, timetable
from tests.integration.test_demo import deliveries, demo_rows, start_demo

NOTICE = "UBND xã thông báo: 19h30 hôm nay họp dân khu 7 tại nhà văn hóa."
TIMETABLE = f"""\
commune: {{id: xa-thu, name: "Xã Thử"}}
areas:
  - {{id: khu-7, name: "Khu 7", clusters: [loa-01, loa-02]}}
slots:
  - id: hop-dan
    start: "05:30"
    end: "05:31"
    playlist:
      - text: "{NOTICE}"
        title: "Họp dân khu 7"
"""


def test_the_clusters_fetch_the_speech_of_a_text_item_and_verify_it(tmp_path: Path) -> None:
    schedules, library = tmp_path / "schedules", tmp_path / "audio_library"
    schedules.mkdir()
    (schedules / "xa-thu.yaml").write_text(TIMETABLE, encoding="utf-8")
    daemon, database, log = start_demo(tmp_path, schedules, library)
    try:
        deadline = time.monotonic() + 60
        rows = demo_rows(deliveries(database))
        while time.monotonic() < deadline and not (
            len(rows) == 2 and all(state in ("ready", "playing") for *_, state in rows)
        ):
            assert daemon.poll() is None, log.read_text()
            time.sleep(0.5)
            rows = demo_rows(deliveries(database))
    finally:
        daemon.terminate()
        daemon.wait(30)

    text = log.read_text()
    assert {(cluster, state in ("ready", "playing")) for _, cluster, _, state in rows} == {
        ("loa-01", True), ("loa-02", True)}, text[-3000:]
    (entry,) = (library / "speech").glob("*.json")
    speech = json.loads(entry.read_text(encoding="utf-8"))
    assert speech["text"] == NOTICE
    assert (library / speech["file"]).is_file()
    # The playlist's one file is the speech: fetched over HTTP, its sha256 checked.
    fetched = [json.loads(line) for line in text.splitlines()
               if '"event": "audio fetched"' in line]
    assert {(event["cluster"], event["error"]) for event in fetched} == {
        ("xa-thu.loa-01", None), ("xa-thu.loa-02", None)}, fetched


@pytest.mark.integration
def test_an_announced_text_is_spoken_and_played_by_the_clusters(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=600, length_s=60)
    site.write(timetable(slot, [{"audio": "nhac-hieu"}]))
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    answer = httpx.post(
        f"{site.base_url}/announcements",
        json={"commune": site.commune, "target": {"areas": ["khu-8"]},
              "items": [{"text": "Nước sông lên nhanh, đề nghị bà con khu 8 di chuyển "
                                 "tài sản lên cao trước 17h00."}]},
        headers={"Authorization": f"Bearer {site.token('duty-officer', 'operator')}"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    bid = answer.json()["broadcast_id"]
    (entry,) = (site.library / "speech").glob("*.json")
    speech = json.loads(entry.read_text(encoding="utf-8"))
    assert fleet.wait_for(lambda view: view["loa-15"].has_ack(bid, "playing"), timeout=30)
    (play, *_) = fleet.snapshot("loa-15").plays(bid)
    (item,) = play.items
    assert (item.kind, item.sha256) == ("file", speech["sha256"])
    assert item.url.endswith(f"/audio/{speech['file']}")

    refused = httpx.post(
        f"{site.base_url}/announcements",
        json={"commune": site.commune, "items": [{"text": ""}]},
        headers={"Authorization": f"Bearer {site.token('duty-officer-2', 'operator')}"},
        timeout=10,
    )
    assert refused.status_code == 422
