"""The bodies of `POST /announcements` and `POST /broadcasts/{id}/stop`, and the answer.

Shapes only (what pydantic checks); what needs the timetables, the library or the clock
(unknown names, a past start) is `plan.py`'s, which explains each refusal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from broadcastd.timetable.model import MAX_TEXT_CHARS
from broadcastd.timetable.priority import priority_value

REASON_CHARS = 500


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _priority(value: object) -> int:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return priority_value(value)
    raise ValueError("priority is a word (routine, priority, emergency) or a number 0-100")


Priority = Annotated[
    int,
    BeforeValidator(_priority),
    Field(description="`routine` (0), `priority` (50), `emergency` (100), or a number 0-100."),
]


class TargetSpec(Model):
    """Some areas, some clusters, or both together."""

    areas: list[str] = Field(default_factory=list, description="Area ids, e.g. `khu-7`.")
    clusters: list[str] = Field(default_factory=list, description="Cluster ids, e.g. `loa-10`.")

    @model_validator(mode="after")
    def _not_empty(self) -> TargetSpec:
        if not self.areas and not self.clusters:
            raise ValueError('name at least one area or cluster, or write "target": "all"')
        return self


class AnnouncementItem(Model):
    """An audio file of the library, a live stream (with an optional fallback file), or
    a written notice spoken on the server before the announcement goes out."""

    audio: str | None = Field(default=None, description="Catalogue name, e.g. `canh-bao-lu`.")
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description=f"A notice in Vietnamese read out by the server's speech engine, at most "
        f"{MAX_TEXT_CHARS:,} characters, e.g. `Họp dân khu 7 lúc 19h30`.",
    )
    stream: str | None = Field(default=None, description="http:// or https:// URL of a stream.")
    fallback: str | None = Field(
        default=None, description="Catalogue name played while the stream cannot be opened."
    )
    duration_s: float | None = Field(
        default=None,
        gt=0,
        description="How long to play the stream; without it, to the end of the announcement.",
    )
    title: str | None = Field(default=None, description="Shown on the speaker; optional.")

    @model_validator(mode="after")
    def _one_kind(self) -> AnnouncementItem:
        if sum(kind is not None for kind in (self.audio, self.stream, self.text)) != 1:
            raise ValueError('an item needs exactly one of "audio", "stream" or "text"')
        if self.text is not None and (self.fallback or self.duration_s):
            raise ValueError(
                'a "text" item takes no "fallback" or "duration_s": its speech has a length'
            )
        if self.audio is not None and (self.fallback or self.duration_s):
            raise ValueError(
                'an "audio" item takes no "fallback" or "duration_s": the library knows it'
            )
        if self.stream is not None and not self.stream.startswith(("http://", "https://")):
            raise ValueError(f"the stream {self.stream!r} is not an http:// or https:// URL")
        return self


class AnnouncementRequest(Model):
    commune: str = Field(description="Commune id, e.g. `man-lan`.")
    target: Literal["all"] | TargetSpec = Field(default="all", description="Who hears it.")
    priority: Priority = 100
    items: list[AnnouncementItem] = Field(min_length=1, max_length=50)
    start: str = Field(
        default="now",
        description="`now` (a few seconds from now, so files are fetched first), `HH:MM` "
        "or `HH:MM:SS` today in the commune's time, or ISO 8601 with its offset.",
    )
    end: str | None = Field(default=None, description="Like `start`; or give `duration_s`.")
    duration_s: float | None = Field(
        default=None, gt=0, le=86400, description="Length; default: the items' length."
    )
    volume: int = Field(default=100, ge=0, le=100)
    title: str = Field(default="", max_length=200, description="What people call it.")
    reason: str | None = Field(
        default=None, max_length=REASON_CHARS, description="Why; kept in the audit log."
    )

    @model_validator(mode="after")
    def _one_length(self) -> AnnouncementRequest:
        if self.end is not None and self.duration_s is not None:
            raise ValueError('give "end" or "duration_s", not both')
        return self


class AnnouncementResult(Model):
    broadcast_id: str = Field(description="`<commune>/announce-<HHMMSS>/<date>`.")
    start: datetime
    end: datetime
    clusters: list[str]


class StopRequest(Model):
    clusters: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Stop on these clusters only; leave it out to stop on every one "
        "(an empty list is refused rather than taken for all).",
    )
    reason: str | None = Field(default=None, max_length=REASON_CHARS)


class FieldProblem(BaseModel):
    """One problem with the request's shape, as FastAPI reports it."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="Where: `body`, then the field path.")
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """A request of the wrong shape (a missing field, a word that is no priority)."""

    detail: list[FieldProblem]


class StopResult(Model):
    broadcast_id: str
    stopped: list[str] = Field(description="Clusters sent `stop`.")
    message: str
