"""The timetable of one commune, as officials write it in `schedules/<commune>.yaml`.

Pure data and the rules that concern one field or one model. Rules that span the
whole file (overlaps, unknown areas, missing audio) live in `checks.py`, so that
every problem is reported together with its line, instead of stopping at the first.
Every model forbids unknown keys, so a misspelt key is an error, not a silent default.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from broadcastd.contract.topics import ID_RULE
from broadcastd.i18n import _
from broadcastd.timetable.priority import priority_value
from broadcastd.timetable.problems import RuleBroken
from broadcastd.timetable.weekdays import WEEKDAYS, read_days

#: Longest `text:` item (about two and a half minutes of speech); the same limit as
#: broadcastd.speech.MAX_TEXT_CHARS, kept here so the core imports no speech engine.
MAX_TEXT_CHARS = 2000
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
REST = "rest"
"""`duration_s: rest`: a stream that plays until its slot's end."""
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")



def _as_written(value: object) -> object:
    """Ids are taken as written: the ACL, topics and client ids use the raw text, so
    `"c01\n"` must be refused rather than trimmed to `c01` here only."""
    if isinstance(value, str) and value != value.strip():
        raise RuleBroken(
            _("the id {value} has spaces or a line break around it").format(value=repr(value)),
            _("write it as `{fixed}`").format(fixed=value.strip()),
        )
    return value


Id = Annotated[
    str,
    BeforeValidator(_as_written),
    Field(
        # pydantic's regex engine reads `$` as the very end of the text.
        pattern=rf"^{ID_RULE}$",
        description="Lower-case letters, digits and '-', starting with a letter or digit, "
        "at most 63 characters (the speaker contract's id rule).",
    ),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Model(BaseModel):
    """Base of every timetable model: unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def parse_clock(value: object) -> time:
    """`HH:MM` or `HH:MM:SS` in the commune's local time. Anything else is refused
    with the fix spelt out (YAML reads an unquoted 05:30 as a number in some tools)."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if match:
            hours, minutes, seconds = match.groups()
            return time(int(hours), int(minutes), int(seconds or 0))
    raise RuleBroken(
        _("{value} is not a time of day").format(value=repr(value)),
        _('write the time as HH:MM or HH:MM:SS in quotes, for example "05:30"'),
    )


class Commune(Model):
    id: Id = Field(description="The commune's id, used in topics and broadcast ids.")
    name: str = Field(min_length=1, description="Display name, e.g. 'Xã Mạn Lạn'.")
    district: str | None = Field(default=None, description="District, for people.")
    province: str | None = Field(default=None, description="Province, for people.")
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="IANA time zone the slots' times are in."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RuleBroken(
                _("unknown time zone {value}").format(value=repr(value)),
                _("use an IANA name such as {zone}").format(zone=DEFAULT_TIMEZONE),
            ) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Area(Model):
    id: Id = Field(description="Residential area id, e.g. 'khu-1'.")
    name: str = Field(min_length=1, description="Display name, e.g. 'Khu 1'.")
    clusters: list[Id] = Field(min_length=1, description="Ids of the clusters in this area.")


class Target(Model):
    """Which clusters a slot plays on: some areas, some clusters, or both together."""

    areas: list[Id] = Field(default_factory=list)
    clusters: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Target:
        if not self.areas and not self.clusters:
            raise RuleBroken(
                _("the target names no area and no cluster"),
                _("name at least one area or cluster, or write `target: all`"),
            )
        return self


class Item(Model):
    """One playlist entry: an audio file from the library, a live stream, or a written
    notice spoken on this server when the timetable is loaded."""

    audio: Id | None = Field(default=None, description="Catalogue name in audio_library/.")
    stream: str | None = Field(default=None, description="URL of a live stream (relay).")
    text: str | None = Field(
        default=None,
        description=f"A notice in Vietnamese, read out by the speech engine (`tts:` in the "
        f"config); at most {MAX_TEXT_CHARS:,} characters.",
    )
    fallback: Id | None = Field(
        default=None,
        description="Catalogue name played while the stream cannot be opened (streams only).",
    )
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | Literal["rest"] | None = Field(
        default=None,
        description="How long to play the stream, in seconds; `rest` (or nothing, on the "
        "last item): until the slot's end, so a longer bulletin shortens the relay.",
    )
    title: str | None = Field(default=None, description="Shown on the speaker; optional.")

    @property
    def stream_s(self) -> float | None:
        """A stream's own length in seconds; None for one that fills the rest."""
        return None if isinstance(self.duration_s, str) else self.duration_s

    @property
    def fills_rest(self) -> bool:
        """A stream that plays until its slot's end: `duration_s: rest`, or none given."""
        return self.stream is not None and self.duration_s in (None, REST)

    @field_validator("stream")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise RuleBroken(
                _("the stream {value} is not a web address").format(value=repr(value)),
                _(
                    "write the full http:// or https:// URL, for example "
                    "http://phat-thanh.thanhba.example/tiep-song"
                ),
            )
        return value

    @field_validator("text")
    @classmethod
    def _speakable(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value:
            raise RuleBroken(
                _("the text is empty"),
                _(
                    'write the notice to read out, e.g. `- text: "Họp dân khu 7 lúc 19h30 tại '
                    'nhà văn hóa"`, or remove the item'
                ),
            )
        if len(value) > MAX_TEXT_CHARS:
            raise RuleBroken(
                _(
                    "the text has {count} characters, more than {limit} (about two and a "
                    "half minutes of speech)"
                ).format(count=f"{len(value):,}", limit=f"{MAX_TEXT_CHARS:,}"),
                _(
                    "split it into several `text:` items, or record it and add it with "
                    "`broadcastd audio add`"
                ),
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Item:
        if sum(kind is not None for kind in (self.audio, self.stream, self.text)) != 1:
            raise RuleBroken(
                _("a playlist item needs exactly one of `audio:`, `stream:` or `text:`"),
                _(
                    "write `- audio: <catalogue name>`, `- stream: <URL>` with `duration_s:`, "
                    'or `- text: "<the notice>"`'
                ),
            )
        if self.text is not None and (self.fallback is not None or self.duration_s is not None):
            raise RuleBroken(
                _("the text item has a `fallback:` or `duration_s:`"),
                _("remove it: the speech's length is known once it is spoken"),
            )
        if self.audio is not None and self.fallback is not None:
            raise RuleBroken(
                _("the audio item has a `fallback:`"),
                _(
                    "only a `stream:` item takes one (what plays while the stream cannot be "
                    "opened): remove it"
                ),
            )
        if self.audio is not None and self.duration_s is not None:
            raise RuleBroken(
                _("the audio item has a `duration_s:`"),
                _("remove it: the library knows the duration"),
            )
        return self


def _rest_only_last(playlist: list[Item]) -> list[Item]:
    """Only the last item can play until the slot's end: after it nothing would play."""
    for position, item in enumerate(playlist[:-1], 1):
        if item.fills_rest:
            raise RuleBroken(
                _(
                    "stream item #{position} has no `duration_s:` (or `rest`), but only the "
                    "last item can play until the slot's end"
                ).format(position=position),
                _(
                    "add how many seconds to play it, for example `duration_s: 1500`, or move "
                    "it to the end of the playlist"
                ),
            )
    return playlist


class SlotBody(Model):
    """A broadcast window and what plays in it; without the days it repeats on."""

    id: Id = Field(description="Slot id, e.g. 'morning'; part of every broadcast id.")
    title: str = Field(default="", description="What the officials call this slot.")
    start: time = Field(description="Local start time, HH:MM or HH:MM:SS.")
    end: time = Field(description="Local end time, after start, on the same day.")
    target: Literal["all"] | Target = Field(default="all", description="Who hears it.")
    volume: int = Field(default=80, ge=0, le=100, description="Speaker volume, 0-100.")
    priority: Annotated[int, BeforeValidator(priority_value)] = Field(
        default=0,
        description="`routine` (0), `priority` (50), `emergency` (100), or a number 0-100; "
        "a higher one takes the speaker from a lower one at its start.",
    )
    playlist: list[Item] = Field(min_length=1, description="Items played in order.")

    _rest_last = field_validator("playlist")(_rest_only_last)
    _clock_start = field_validator("start", mode="before")(parse_clock)
    _clock_end = field_validator("end", mode="before")(parse_clock)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: time, info: ValidationInfo) -> time:
        # A field validator (not a model one), so the error points at the `end:` line.
        start = info.data.get("start")
        if isinstance(start, time) and end <= start:
            raise RuleBroken(
                _("end {end} is not after start {start}").format(
                    end=f"{end:%H:%M:%S}", start=f"{start:%H:%M:%S}"
                ),
                _("move `end` later; a slot may not cross midnight: split it in two"),
            )
        return end

    @property
    def length_s(self) -> float:
        return float(
            (self.end.hour * 3600 + self.end.minute * 60 + self.end.second)
            - (self.start.hour * 3600 + self.start.minute * 60 + self.start.second)
        )


class DatedPlaylist(Model):
    """Another playlist for a slot on one date ("today only"): same window, target,
    volume and priority, so the official writes only what changes."""

    date: date
    playlist: list[Item] = Field(min_length=1, description="Played instead, that date only.")

    _rest_last = field_validator("playlist")(_rest_only_last)
    title: str | None = Field(default=None, description="The slot's title that date, if other.")
    note: str | None = Field(default=None, description="Why, for people.")


class Slot(SlotBody):
    days: Annotated[Literal["daily"] | list[Weekday], BeforeValidator(read_days)] = Field(
        default="daily",
        description="`daily` (or `hằng ngày`), or weekdays: [mon, tue, wed, thu, fri, sat, "
        "sun], or in Vietnamese: [thứ hai, ..., thứ bảy, chủ nhật], [t2, ..., t7, cn].",
    )

    on: list[DatedPlaylist] = Field(
        default_factory=list,
        description="Other playlists on given dates: `on: [{date: 2026-12-02, playlist: "
        "[...]}]`.",
    )

    def runs_on(self, day: date) -> bool:
        return self.days == "daily" or WEEKDAYS[day.weekday()] in self.days

    def as_played_on(self, day: date) -> SlotBody:
        """The slot as it plays on `day`: its dated playlist (the first for that date)
        instead of the usual one, if it has one; the usual slot otherwise."""
        dated = next((entry for entry in self.on if entry.date == day), None)
        if dated is None:
            return self
        return self.model_copy(
            update={"playlist": dated.playlist, "title": dated.title or self.title}
        )


class DatedException(Model):
    """A change for one date: regular slots skipped, one-off slots added."""

    date: date
    skip: list[Id] = Field(default_factory=list, description="Slot ids not played that day.")
    add: list[SlotBody] = Field(default_factory=list, description="One-off slots that day.")
    note: str | None = Field(default=None, description="Why, for people.")


class Timetable(Model):
    commune: Commune
    areas: list[Area] = Field(min_length=1)
    slots: list[Slot] = Field(default_factory=list)
    exceptions: list[DatedException] = Field(default_factory=list)

    @cached_property
    def area_of(self) -> dict[str, str]:
        """cluster id -> area id."""
        return {cluster: area.id for area in self.areas for cluster in area.clusters}

    @property
    def clusters(self) -> list[str]:
        return list(self.area_of)

    def target_clusters(self, slot: SlotBody) -> tuple[str, ...]:
        """The clusters a slot plays on, in timetable order, each once."""
        if slot.target == "all":
            return tuple(self.area_of)
        wanted_areas = set(slot.target.areas)
        wanted = set(slot.target.clusters)
        return tuple(
            cluster
            for cluster, area in self.area_of.items()
            if area in wanted_areas or cluster in wanted
        )

    def slots_on(self, day: date) -> list[SlotBody]:
        """Every slot that plays on a local date, dated exceptions applied."""
        changes = [exception for exception in self.exceptions if exception.date == day]
        skipped = {slot_id for change in changes for slot_id in change.skip}
        regular: list[SlotBody] = [
            slot.as_played_on(day)
            for slot in self.slots
            if slot.runs_on(day) and slot.id not in skipped
        ]
        return regular + [slot for change in changes for slot in change.add]
