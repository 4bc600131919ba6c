"""Rules that span a timetable, the audio catalogue, or several timetables.

Pure functions over parsed models, each returning every finding it sees (never
stopping at the first); the loader attaches files and lines. A rule about one field
belongs on the model; these need the whole picture: ids used twice, targets naming
nothing, two slots on one cluster at once, playlists that do not fit their window.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, time

from broadcastd.i18n import Text, _, listing, ngettext, weekday
from broadcastd.timetable.model import Slot, SlotBody, Timetable
from broadcastd.timetable.problems import Finding
from broadcastd.timetable.source import KeyPath
from broadcastd.timetable.weekdays import WEEKDAYS

SHORT_PLAYLIST_SHARE = 0.5  # under half its window, a playlist leaves the speakers silent


@dataclass(frozen=True)
class PlacedSlot:
    """A slot and where it is written: regular (`slots -> i`) or one-off (`exceptions ->
    e -> add -> k`, with its date)."""

    slot: SlotBody
    path: KeyPath
    on: date | None = None
    dated: date | None = None
    """Set for a regular slot as its dated playlist (`on:`) makes it play that date."""

    @property
    def label(self) -> Text:
        if self.dated is not None:
            return _("slot `{slot}` on {date}").format(
                slot=self.slot.id, date=self.dated.isoformat()
            )
        if self.on is None:
            return _("slot `{slot}`").format(slot=self.slot.id)
        return _("one-off slot `{slot}` on {date}").format(
            slot=self.slot.id, date=self.on.isoformat()
        )


def placed_slots(timetable: Timetable) -> Iterator[PlacedSlot]:
    """Every slot of a timetable, regular first, with its key path."""
    for index, slot in enumerate(timetable.slots):
        yield PlacedSlot(slot, ("slots", index))
    for e_index, exception in enumerate(timetable.exceptions):
        for a_index, added in enumerate(exception.add):
            yield PlacedSlot(added, ("exceptions", e_index, "add", a_index), exception.date)


def placed_playlists(timetable: Timetable) -> Iterator[PlacedSlot]:
    """Every playlist that can play: each slot's own, then each dated one (`on:`) as the
    slot plays with it, so audio names and lengths are checked for every date."""
    yield from placed_slots(timetable)
    for index, slot in enumerate(timetable.slots):
        for d_index, dated in enumerate(slot.on):
            yield PlacedSlot(
                slot.as_played_on(dated.date), ("slots", index, "on", d_index), dated=dated.date
            )


def mmss(seconds: float) -> str:
    """12:05 (or 1:02:05 past an hour), whole seconds."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _close(word: str, known: Sequence[str]) -> Text | str:
    match = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return _(" (did you mean `{close}`?)").format(close=match[0]) if match else ""


def _clock(moment: time) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


# --- one timetable -------------------------------------------------------------------


def check_timetable(timetable: Timetable) -> list[Finding]:
    """Every rule within one commune's file."""
    return [
        *check_ids(timetable),
        *check_targets(timetable),
        *check_exceptions(timetable),
        *check_dated_playlists(timetable),
        *check_overlaps(timetable),
    ]


def check_ids(timetable: Timetable) -> list[Finding]:
    """Area and slot ids once each; every cluster in exactly one area."""
    findings: list[Finding] = []
    area_at: dict[str, int] = {}
    cluster_in: dict[str, str] = {}
    for index, area in enumerate(timetable.areas):
        if area.id in area_at:
            findings.append(_twice(("areas", index, "id"), _AREA, area.id, area_at[area.id]))
        area_at.setdefault(area.id, index)
        for c_index, cluster in enumerate(area.clusters):
            path = ("areas", index, "clusters", c_index)
            owner = cluster_in.get(cluster)
            if owner is None:
                cluster_in[cluster] = area.id
            elif owner == area.id:
                findings.append(Finding(
                    path,
                    _("cluster `{cluster}` is listed twice in area `{area}`").format(
                        cluster=cluster, area=area.id
                    ),
                    _("remove the second one"),
                ))
            else:
                findings.append(Finding(
                    path,
                    _("cluster `{cluster}` is in two areas: `{first}` and `{second}`").format(
                        cluster=cluster, first=owner, second=area.id
                    ),
                    _(
                        "a cluster belongs to one area: remove it from one of them, or give "
                        "the second loudspeaker its own id"
                    ),
                ))
    slot_at: dict[str, int] = {}
    for index, slot in enumerate(timetable.slots):
        if slot.id in slot_at:
            findings.append(_twice(("slots", index, "id"), _SLOT, slot.id, slot_at[slot.id]))
        slot_at.setdefault(slot.id, index)
    return findings


_AREA = (
    _("the area id `{ident}` is used twice (also by area number {first})"),
    _("give each area its own id, for example `{ident}-2`"),
)
_SLOT = (
    _("the slot id `{ident}` is used twice (also by slot number {first})"),
    _("give each slot its own id, for example `{ident}-2`"),
)


def _twice(path: KeyPath, kind: tuple[Text, Text], ident: str, first: int) -> Finding:
    message, fix = kind
    return Finding(
        path, message.format(ident=ident, first=first + 1), fix.format(ident=ident)
    )


def check_targets(timetable: Timetable) -> list[Finding]:
    """Targets name only areas and clusters that the timetable declares."""
    areas = [area.id for area in timetable.areas]
    clusters = timetable.clusters
    findings: list[Finding] = []
    for placed in placed_slots(timetable):
        target = placed.slot.target
        if target == "all":
            continue
        for index, area in enumerate(target.areas):
            if area not in areas:
                findings.append(Finding(
                    placed.path + ("target", "areas", index),
                    _("{slot} targets area `{area}`, which is not in `areas`{close}").format(
                        slot=placed.label, area=area, close=_close(area, areas)
                    ),
                    _("use an id from `areas`, or add that area"),
                ))
        for index, cluster in enumerate(target.clusters):
            if cluster not in clusters:
                findings.append(Finding(
                    placed.path + ("target", "clusters", index),
                    _("{slot} targets cluster `{cluster}`, which no area lists{close}").format(
                        slot=placed.label, cluster=cluster, close=_close(cluster, clusters)
                    ),
                    _("use a cluster id from the areas' `clusters`, or add it to its area"),
                ))
    return findings


def check_exceptions(timetable: Timetable) -> list[Finding]:
    """Skips name real slots; one-off slots do not reuse a slot id playing that day."""
    slot_ids = [slot.id for slot in timetable.slots]
    findings: list[Finding] = []
    for e_index, exception in enumerate(timetable.exceptions):
        for s_index, slot_id in enumerate(exception.skip):
            path = ("exceptions", e_index, "skip", s_index)
            slot = next((s for s in timetable.slots if s.id == slot_id), None)
            if slot is None:
                findings.append(Finding(
                    path,
                    _("`skip` names slot `{slot}`, which is not in `slots`{close}").format(
                        slot=slot_id, close=_close(slot_id, slot_ids)
                    ),
                    _("use a slot id from `slots`"),
                ))
            elif not slot.runs_on(exception.date):
                day_name = weekday(WEEKDAYS[exception.date.weekday()])
                findings.append(Finding(
                    path,
                    _(
                        "slot `{slot}` does not play on {date} ({weekday}) anyway, so "
                        "skipping it changes nothing"
                    ).format(slot=slot_id, date=exception.date.isoformat(), weekday=day_name),
                    _("check the date, or remove this skip"),
                    "warning",
                ))
    findings += _one_off_ids(timetable)
    return findings


def check_dated_playlists(timetable: Timetable) -> list[Finding]:
    """A dated playlist is for a date its slot plays, once per date."""
    findings: list[Finding] = []
    for index, slot in enumerate(timetable.slots):
        seen: set[date] = set()
        for d_index, dated in enumerate(slot.on):
            path = ("slots", index, "on", d_index, "date")
            day = dated.date
            if day in seen:
                findings.append(Finding(
                    path,
                    _("slot `{slot}` has two playlists for {date}").format(
                        slot=slot.id, date=day.isoformat()
                    ),
                    _("keep one (put every item of that day in it)"),
                ))
            seen.add(day)
            skipped = any(e.date == day and slot.id in e.skip for e in timetable.exceptions)
            if skipped:
                message = _(
                    "slot `{slot}` is skipped that day, so its playlist for that date never plays"
                ).format(slot=slot.id)
            elif not slot.runs_on(day):
                message = _(
                    "slot `{slot}` does not play on {date} ({weekday}), so its playlist for "
                    "that date never plays"
                ).format(
                    slot=slot.id, date=day.isoformat(), weekday=weekday(WEEKDAYS[day.weekday()])
                )
            if skipped or not slot.runs_on(day):
                findings.append(Finding(
                    path,
                    message,
                    _(
                        "check the date; for a broadcast on a day without the slot, add a "
                        "one-off slot under `exceptions:` with `add:`"
                    ),
                    "warning",
                ))
    return findings


def _one_off_ids(timetable: Timetable) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[tuple[date, str], PlacedSlot] = {}
    for placed in placed_slots(timetable):
        if placed.on is None:
            continue
        key = (placed.on, placed.slot.id)
        skipped = {s for e in timetable.exceptions if e.date == placed.on for s in e.skip}
        regular = {
            slot.id
            for slot in timetable.slots
            if slot.runs_on(placed.on) and slot.id not in skipped
        }
        if key in seen or placed.slot.id in regular:
            findings.append(Finding(
                placed.path + ("id",),
                _(
                    "{slot} has the id of another slot playing that day, so both would be the "
                    "same broadcast"
                ).format(slot=placed.label),
                _("give the one-off slot its own id (or skip the regular slot that day)"),
            ))
        seen.setdefault(key, placed)
    return findings


# --- overlaps ------------------------------------------------------------------------


def _overlap(a: SlotBody, b: SlotBody) -> bool:
    return a.start < b.end and b.start < a.end


def _shared(timetable: Timetable, a: SlotBody, b: SlotBody) -> list[str]:
    other = set(timetable.target_clusters(b))
    return [cluster for cluster in timetable.target_clusters(a) if cluster in other]


def _clusters_text(clusters: list[str]) -> Text:
    named = ", ".join(clusters[:3])
    if len(clusters) > 3:
        return ngettext(
            "clusters {named} and {n} more", "clusters {named} and {n} more", len(clusters) - 3
        ).format(named=named)
    return ngettext("cluster {named}", "clusters {named}", len(clusters)).format(named=named)


def _days_text(a: Slot, b: Slot) -> Text | None:
    """The weekdays two regular slots share, or None when they share none."""
    days_a = set(WEEKDAYS) if a.days == "daily" else set(a.days)
    days_b = set(WEEKDAYS) if b.days == "daily" else set(b.days)
    common = [day for day in WEEKDAYS if day in days_a and day in days_b]
    if not common:
        return None
    if len(common) == 7:
        return _("every day")
    return _("on {days}").format(days=listing([weekday(day) for day in common]))


def check_overlaps(timetable: Timetable) -> list[Finding]:
    """Two slots on one cluster at once on some day: a cluster plays one at a time.

    Regular slots are compared by weekday; a one-off slot against the regular slots
    that play on its date (skips applied) and the other one-off slots of that date.
    """
    findings: list[Finding] = []
    slots = timetable.slots
    for index, later in enumerate(slots):
        for e_index, earlier in enumerate(slots[:index]):
            if not _overlap(earlier, later) or earlier.id == later.id:
                continue  # cheap test first: a file may hold many slots
            days = _days_text(earlier, later)
            if days is not None:  # a repeated id is reported once
                findings += _clash(
                    timetable, PlacedSlot(earlier, ("slots", e_index)),
                    PlacedSlot(later, ("slots", index)), days,
                )
    one_offs = [placed for placed in placed_slots(timetable) if placed.on is not None]
    for index, added in enumerate(one_offs):
        assert added.on is not None
        skipped = {s for e in timetable.exceptions if e.date == added.on for s in e.skip}
        same_day = [
            PlacedSlot(slot, ("slots", s_index))
            for s_index, slot in enumerate(slots)
            if slot.runs_on(added.on) and slot.id not in skipped
        ]
        same_day += [placed for placed in one_offs[:index] if placed.on == added.on]
        for other in same_day:
            findings += _clash(
                timetable, other, added, _("on {date}").format(date=added.on.isoformat())
            )
    return findings


def _clash(
    timetable: Timetable, first: PlacedSlot, second: PlacedSlot, days: Text
) -> list[Finding]:
    if not _overlap(first.slot, second.slot):
        return []
    shared = _shared(timetable, first.slot, second.slot)
    if not shared:
        return []
    a, b = first.slot, second.slot
    return [Finding(
        second.path + ("start",),
        _(
            "{second} ({second_window}) overlaps {first} ({first_window}) {days} on {clusters}"
        ).format(
            second=second.label, second_window=f"{_clock(b.start)}-{_clock(b.end)}",
            first=first.label, first_window=f"{_clock(a.start)}-{_clock(a.end)}",
            days=days, clusters=_clusters_text(shared),
        ),
        _("move one of them so they do not overlap, or give them different targets"),
    )]


# --- audio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unspoken:
    """Why a `text:` item could not be spoken (no engine, synthesis failed), with the fix."""

    reason: str
    fix: str


#: Each text of a timetable: its speech's length in seconds, or why there is none.
Spoken = Mapping[str, "float | Unspoken"]


def timetable_texts(timetable: Timetable) -> list[str]:
    """The texts of every `text:` item (dated playlists too), each once, in the order written."""
    texts = (item.text for placed in placed_playlists(timetable) for item in placed.slot.playlist)
    return list(dict.fromkeys(text for text in texts if text is not None))


def check_texts(timetable: Timetable, spoken: Spoken) -> list[Finding]:
    """A `text:` item whose speech could not be made is a problem of its own line."""
    findings: list[Finding] = []
    for placed in placed_playlists(timetable):
        for index, item in enumerate(placed.slot.playlist):
            result = spoken.get(item.text) if item.text is not None else None
            if isinstance(result, Unspoken):
                findings.append(Finding(
                    placed.path + ("playlist", index, "text"),
                    _("the text of {slot} cannot be spoken: {reason}").format(
                        slot=placed.label, reason=result.reason
                    ),
                    result.fix,
                ))
    return findings


def check_audio(
    timetable: Timetable,
    durations: Mapping[str, float],
    missing_files: AbstractSet[str],
    spoken: Spoken | None = None,
) -> list[Finding]:
    """Playlists name catalogue items whose files exist, and fit their window.

    `durations` maps catalogue names to seconds; `missing_files` holds the names
    whose library file is gone. Stream-only playlists are measured even without a
    catalogue (pass empty mappings).
    """
    known = sorted(durations)
    findings: list[Finding] = []
    for placed in placed_playlists(timetable):
        for index, item in enumerate(placed.slot.playlist):
            for key, name in (("audio", item.audio), ("fallback", item.fallback)):
                if name is not None:
                    path = placed.path + ("playlist", index, key)
                    findings += _audio_name(path, placed.label, key, name, durations,
                                            missing_files, known)
    spoken = spoken or {}
    return findings + check_texts(timetable, spoken) + check_lengths(timetable, durations, spoken)


def _audio_name(
    path: KeyPath,
    label: Text,
    key: str,
    name: str,
    durations: Mapping[str, float],
    missing_files: AbstractSet[str],
    known: list[str],
) -> list[Finding]:
    """A catalogue name in a playlist (an `audio:` item, or a stream's `fallback:`)."""
    if name not in durations:
        if key == "audio":
            message = _("{slot} plays audio `{name}`, which is not in the catalogue{close}")
        else:
            message = _(
                "{slot} falls back to audio `{name}`, which is not in the catalogue{close}"
            )
        return [Finding(
            path,
            message.format(slot=label, name=name, close=_close(name, known)),
            _(
                "correct the name (`broadcastd audio list` shows them), or import the "
                "file with `broadcastd audio add FILE --name {name}`"
            ).format(name=name),
        )]
    if name in missing_files:
        return [Finding(
            path,
            _("the file of audio `{name}` ({slot}) is missing from the audio library").format(
                name=name, slot=label
            ),
            _(
                "run `broadcastd audio check`, then import the recording again with "
                "`broadcastd audio add FILE --name {name}`"
            ).format(name=name),
        )]
    return []


def playlist_length(
    slot: SlotBody, durations: Mapping[str, float], spoken: Spoken | None = None
) -> float | None:
    """Seconds the playlist lasts; None if an item's duration is unknown (a text not
    spoken: no speech engine was given, or it failed). A stream that fills the rest of
    the window lasts what the items before it leave (nothing, if they overrun)."""
    total = 0.0
    for item in slot.playlist:
        seconds: float | Unspoken | None
        if item.fills_rest:
            seconds = 0.0
        elif item.stream is not None:
            seconds = item.stream_s
        elif item.text is not None:
            seconds = (spoken or {}).get(item.text)
        else:
            seconds = durations.get(item.audio or "")
        if seconds is None or isinstance(seconds, Unspoken):
            return None
        total += seconds
    if slot.playlist[-1].fills_rest:
        return max(total, slot.length_s)
    return total


def check_lengths(
    timetable: Timetable, durations: Mapping[str, float], spoken: Spoken | None = None
) -> list[Finding]:
    """A playlist longer than its window is cut off; one under half of it leaves silence."""
    findings: list[Finding] = []
    for placed in placed_playlists(timetable):
        slot = placed.slot
        total = playlist_length(slot, durations, spoken)
        if total is None:
            continue
        window = slot.length_s
        span = f"{_clock(slot.start)}-{_clock(slot.end)}, {mmss(window)}"
        path = placed.path + ("playlist",)
        if total > window:
            over = math.ceil(total - window)
            findings.append(Finding(
                path,
                _(
                    "the playlist of {slot} lasts {total}, longer than its window ({span}) "
                    "by {over}"
                ).format(slot=placed.label, total=mmss(total), span=span, over=mmss(over)),
                _(
                    "shorten it by at least {over} (a stream's `duration_s`, or fewer "
                    "items), or move `end` later; a relay at the end with `duration_s: rest` "
                    "always fits what the items before it leave"
                ).format(over=mmss(over)),
            ))
        elif total < window * SHORT_PLAYLIST_SHARE:
            findings.append(Finding(
                path,
                _(
                    "the playlist of {slot} lasts {total}, under half its window ({span}); "
                    "the speakers stay silent for {silence}"
                ).format(
                    slot=placed.label, total=mmss(total), span=span,
                    silence=mmss(window - total),
                ),
                _("add items or lengthen a stream's `duration_s`, or move `end` earlier"),
                "warning",
            ))
    return findings


# --- several timetables --------------------------------------------------------------


def duplicate_communes(communes: Sequence[tuple[str, str]]) -> list[tuple[int, Finding]]:
    """The same commune id in two files: (index of the later file, finding).

    `communes` holds (file name, commune id) in load order. Cluster and area ids may
    repeat across communes: they are per commune.
    """
    first_file: dict[str, str] = {}
    found: list[tuple[int, Finding]] = []
    for index, (file, commune) in enumerate(communes):
        if commune in first_file:
            found.append((index, Finding(
                ("commune", "id"),
                _("commune `{commune}` is also defined in {file}").format(
                    commune=commune, file=first_file[commune]
                ),
                _("keep one file per commune: merge the two files, or correct this id"),
            )))
        first_file.setdefault(commune, file)
    return found
