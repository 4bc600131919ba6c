"""Ids made from what people write: `Bản tin T2` -> `ban-tin-t2`.

Ids (communes, areas, clusters, slots, catalogue names) are plain lower-case ASCII so
that they travel in MQTT topics and URLs and can be typed on any keyboard; officials
think in Vietnamese names. One function turns the one into the other, so a refused
name and a new file's default name propose the same id everywhere.
"""

from __future__ import annotations

import re
import unicodedata


def id_from_text(text: str) -> str:
    """Marks dropped (đ as d), lower case, runs of anything else as one `-`, at most
    63 characters (the speaker contract's id length)."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:63].rstrip("-")
