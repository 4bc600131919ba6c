"""Fetching a play's file items over HTTP and checking their sha256, and trying its
stream URLs, as a cluster does.

Runs in worker threads of the fleet; the outcome is a contract `detail` word
(`fetch` or `checksum`) or None, or whether a stream opened, which the cluster state
machine turns into acks.
"""

from __future__ import annotations

import hashlib

import httpx

from broadcastd.contract import PlayItem

CHUNK = 64 * 1024
STREAM_OPEN_TIMEOUT_S = 2.0  # a live relay answers its headers at once, or is down


def fetch_and_verify(http: httpx.Client, items: tuple[PlayItem, ...]) -> str | None:
    """None when every item was fetched and matches its sha256, else why not."""
    for item in items:
        failure = _fetch_one(http, item)
        if failure is not None:
            return failure
    return None


def _fetch_one(http: httpx.Client, item: PlayItem) -> str | None:
    digest = hashlib.sha256()
    try:
        with http.stream("GET", item.url) as response:
            if response.status_code != 200:
                return "fetch"
            for chunk in response.iter_bytes(CHUNK):
                digest.update(chunk)
    except (httpx.HTTPError, OSError):
        return "fetch"
    if item.sha256 is None or digest.hexdigest() != item.sha256.lower():
        return "checksum"
    return None


def open_stream(http: httpx.Client, url: str, timeout_s: float = STREAM_OPEN_TIMEOUT_S) -> bool:
    """Whether a stream URL can be opened now: it answers 200 within `timeout_s`. Only the
    headers are read; a live relay never ends, so the connection is closed at once."""
    try:
        with http.stream("GET", url, timeout=timeout_s) as response:
            return response.status_code == 200
    except (httpx.HTTPError, OSError):
        return False
