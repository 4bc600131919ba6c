"""Fetching a play's file items over HTTP and checking their sha256, as a cluster does.

Runs in worker threads of the fleet; the outcome is a contract `detail` word
(`fetch` or `checksum`) or None, which the cluster state machine turns into acks.
"""

from __future__ import annotations

import hashlib

import httpx

from broadcastd.contract import PlayItem

CHUNK = 64 * 1024


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
