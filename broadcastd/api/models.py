"""Response bodies of the HTTP API, documented field by field for `/docs`.

Times are ISO 8601 with an explicit offset: the commune's own (`+07:00`) for anything
that belongs to a commune, UTC (`+00:00`) otherwise.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from broadcastd.contract import format_time
from broadcastd.store.outcomes import Outcome

Timestamp = Annotated[datetime, PlainSerializer(format_time, return_type=str, when_used="json")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeliveryState(StrEnum):
    """A cluster's state for one broadcast: its last ack, or `pending` before any."""

    pending = "pending"
    received = "received"
    ready = "ready"
    playing = "playing"
    suspended = "suspended"
    finished = "finished"
    stopped = "stopped"
    failed = "failed"


OUTCOME_HELP = (
    "What the cluster did, once the broadcast is over (null before): `played`, `partial`, "
    "`missed`, `preempted`, `cancelled` or `failed`; see docs/outcomes.md."
)


class Phase(StrEnum):
    """Where a broadcast's window stands at the time of the request."""

    scheduled = "scheduled"
    live = "live"
    ended = "ended"


# -- /healthz ------------------------------------------------------------------------------


class Check(Model):
    ok: bool = Field(description="Whether this part works.")
    detail: str = Field(description="What was found, in words.")


class Health(Model):
    status: str = Field(description="`ok`, or `unhealthy` (then the response is a 503).")
    checks: dict[str, Check] = Field(
        description="`scheduler`, `broker`, `database` decide the status; "
        "`timetables` is reported but does not."
    )
    reasons: list[str] = Field(description="Why the daemon is unhealthy; empty when ok.")
    problems: list[str] = Field(description="Everything the daemon reports as wrong.")
    store_queue: int = Field(description="Writes waiting for the database writer.")


# -- /status -------------------------------------------------------------------------------


class LastBroadcast(Model):
    broadcast_id: str = Field(description="The latest broadcast to this cluster that has begun.")
    title: str
    start: Timestamp
    end: Timestamp
    cancelled: bool
    state: DeliveryState = Field(description="The cluster's last reported state for it.")
    state_at: Timestamp | None = Field(description="When the cluster reported it (its clock).")
    item: int | None = Field(description="Playlist item it was playing, counted from 0.")
    detail: str | None = Field(description="Why, for `failed` or `stopped`.")
    sends: int = Field(description="How many times the `play` was sent.")
    last_send_outcome: str | None = Field(description="`published`, `queued` or `failed`.")
    outcome: Outcome | None = Field(default=None, description=OUTCOME_HELP)
    outcome_detail: str | None = Field(
        default=None, description="Why: the failure's detail, the items not heard, ..."
    )


class ClusterStatus(Model):
    cluster: str
    area: str | None = Field(description="Residential area the cluster belongs to.")
    online: bool = Field(
        description="False when its last presence was its Last Will, or it never reported."
    )
    last_seen: Timestamp | None = Field(description="Its last presence message.")
    online_changed_at: Timestamp | None = Field(description="When `online` last changed.")
    firmware: str | None
    volume: int | None
    last_broadcast: LastBroadcast | None


class CommuneCounts(Model):
    clusters: int
    online: int
    offline: int
    last_broadcast_states: dict[str, int] = Field(
        description="Clusters by their last broadcast: its state while it is on, its "
        "outcome once it is over (never `pending` then); `none`: no broadcast yet."
    )


class BroadcastSummary(Model):
    """A commune's latest broadcast that has begun, counted over its clusters."""

    broadcast_id: str
    title: str
    start: Timestamp
    end: Timestamp
    phase: Phase
    cancelled: bool
    clusters: int = Field(description="Clusters whose last broadcast this is.")
    states: dict[str, int] = Field(description="Those clusters by delivery state.")
    outcomes: dict[str, int] = Field(
        description="Those clusters by outcome once it is over (empty while it is on)."
    )


class ClusterPage(Model):
    """Which part of a commune's clusters this answer holds (`?page=`, `?limit=`)."""

    page: int = Field(description="Counted from 1.")
    limit: int = Field(description="Clusters per page at most.")
    total: int = Field(description="Clusters of the commune.")
    pages: int


class CommuneOwner(Model):
    daemon: str = Field(description="`coordination.name` of the daemon that runs the commune.")
    lease_expires_at: Timestamp = Field(
        description="Its lease, by the database's clock: renewed every third of the lease; "
        "if it passes, another daemon takes the commune over."
    )


class CommuneStatus(Model):
    commune: str
    name: str
    timezone: str
    owner: CommuneOwner | None = Field(
        default=None,
        description="With several daemons (`coordination.mode: leases`): the one that "
        "sends this commune's broadcasts now; null for a single daemon, or while nobody "
        "holds a live lease (a takeover in progress).",
    )
    counts: CommuneCounts
    attention: int = Field(
        default=0,
        description="Clusters that need a look: offline, or whose last broadcast failed, "
        "stopped, was missed or only partly played. Communes with any come first.",
    )
    last_broadcast: BroadcastSummary | None = Field(
        default=None, description="Its latest broadcast that has begun; null: none yet."
    )
    clusters: list[ClusterStatus] | None = Field(
        default=None,
        description="Only with `?commune=`: one page of its clusters (see `cluster_page`); "
        "null in the summary.",
    )
    cluster_page: ClusterPage | None = Field(
        default=None, description="Only with `?commune=`: which clusters `clusters` holds."
    )


class DaemonStatus(Model):
    name: str
    http_url: str = Field(description="Its own address: `coordination.url`, else `http.public_base_url`.")
    live: bool = Field(description="It renewed its heartbeat within its lease.")
    started_at: Timestamp
    heartbeat_at: Timestamp = Field(description="Its last heartbeat (the database's clock).")
    communes: int = Field(description="Communes it holds a live lease on.")


class RejectedCount(Model):
    reason: str = Field(
        description="`malformed`, `bad_version`, `unknown_cluster`, `unknown_broadcast`, ..."
    )
    count: int
    last_at: Timestamp
    last_topic: str
    last_sample: str = Field(description="The start of the last refused payload.")


class Status(Model):
    generated_at: Timestamp
    communes: list[CommuneStatus]
    daemons: list[DaemonStatus] = Field(
        default_factory=list,
        description="Every daemon sharing the database (`coordination.mode: leases`), "
        "live or not; empty for a single daemon.",
    )
    rejected: list[RejectedCount] = Field(description="Refused messages by reason.")
    problems: list[str] = Field(
        default_factory=list,
        description="What the daemon reports as wrong, as /healthz does: every error of a "
        "rejected timetable change (the running timetables stay in force), a broker down.",
    )


# -- /broadcasts ---------------------------------------------------------------------------


class ClusterDelivery(Model):
    cluster: str
    area: str | None
    state: DeliveryState
    state_at: Timestamp | None = Field(description="When the cluster reported it (its clock).")
    item: int | None
    detail: str | None
    sends: int = Field(description="How many times the `play` was sent.")
    first_sent_at: Timestamp | None
    last_sent_at: Timestamp | None
    last_send_outcome: str | None = Field(description="`published`, `queued` or `failed`.")
    published_at: Timestamp | None = Field(description="When the broker confirmed the last send.")
    outcome: Outcome | None = Field(default=None, description=OUTCOME_HELP)
    outcome_detail: str | None = Field(
        default=None, description="Why: the failure's detail, the items not heard, ..."
    )


class Broadcast(Model):
    broadcast_id: str = Field(description="`<commune>/<slot>/<local date>`.")
    commune: str
    slot: str
    date: dt.date = Field(description="The commune-local date.")
    title: str
    start: Timestamp
    end: Timestamp
    priority: int
    volume: int
    send_at: Timestamp = Field(description="When the first `play` goes out.")
    cancelled: bool
    cancelled_at: Timestamp | None
    phase: Phase
    counts: dict[str, int] = Field(description="Clusters by delivery state.")
    outcomes: dict[str, int] = Field(
        default_factory=dict,
        description="Clusters by outcome once the broadcast is over (empty before).",
    )
    clusters: list[ClusterDelivery]


class AckEvent(Model):
    cluster: str
    state: DeliveryState
    item: int | None
    detail: str
    cluster_at: Timestamp = Field(description="The cluster's own clock.")
    received_at: Timestamp


class Change(Model):
    """One entry of the audit log: who changed the broadcast, when and why."""

    at: Timestamp
    by: str = Field(
        description="The API token's name, or `timetable` when an edit of the timetable "
        "removed or changed the broadcast."
    )
    action: str = Field(description="`cancel`, ...")
    reason: str | None = Field(description="Why, as the caller gave it.")


class BroadcastDetail(Broadcast):
    cancelled_by: str | None = Field(
        description="Who cancelled it: a token's name, or `timetable` when an edit removed "
        "it or replaced it by its next revision (`~N`)."
    )
    cancel_reason: str | None = Field(description="Why, as given with the cancel or edit.")
    changes: list[Change] = Field(description="Every recorded change, oldest first.")
    ack_events: list[AckEvent] = Field(description="Every stored ack, in arrival order.")


class BroadcastList(Model):
    count: int
    broadcasts: list[Broadcast]


REASON_CHARS = 500


class CancelRequest(Model):
    reason: str | None = Field(
        default=None,
        max_length=REASON_CHARS,
        description="Why it is cancelled; kept in the audit log and shown by "
        "GET /broadcasts/{id}.",
    )


class CancelResult(Model):
    broadcast_id: str
    cancelled: bool
    message: str


# -- /schedule -----------------------------------------------------------------------------


class Occurrence(Model):
    broadcast_id: str
    commune: str
    slot: str
    title: str
    start: Timestamp
    end: Timestamp
    phase: Phase
    clusters: list[str]
    priority: int
    volume: int
    items: list[str] = Field(description="The playlist, in order.")
    cancelled: bool = Field(
        default=False, description="Cancelled: it stays listed, and will not be sent."
    )


class Schedule(Model):
    generated_at: Timestamp
    hours: float
    occurrences: list[Occurrence]


class ErrorBody(Model):
    detail: str
