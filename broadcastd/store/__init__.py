"""Records of what was planned, sent and acknowledged: SQLAlchemy Core on SQLite (or PostgreSQL).

Writes are queued to one batching writer thread; callbacks run after the commit, so an
ack reaches the broker only once it is durable. Reads run on the caller's thread.
"""

from broadcastd.store.access import ChangeView, DuplicateToken, TokenView
from broadcastd.store.model import (
    AckEventView,
    AckOutcome,
    BroadcastRecord,
    BroadcastView,
    DeliveryView,
    PresenceView,
    RejectedView,
    RevisionView,
)
from broadcastd.store.outcomes import DeliveryOutcome, Outcome
from broadcastd.store.queries import PENDING, BroadcastOutcomes
from broadcastd.store.store import Store, StoreWriteFailed, open_store
from broadcastd.store.writer import WriterClosed

__all__ = [
    "PENDING",
    "AckEventView",
    "AckOutcome",
    "BroadcastOutcomes",
    "BroadcastRecord",
    "BroadcastView",
    "ChangeView",
    "DeliveryOutcome",
    "DeliveryView",
    "DuplicateToken",
    "Outcome",
    "PresenceView",
    "RejectedView",
    "RevisionView",
    "Store",
    "StoreWriteFailed",
    "TokenView",
    "WriterClosed",
    "open_store",
]
