"""An announcement request as an `Occurrence`: pure, so every refusal is tested alone.

The occurrence is what a timetable slot would give: commune, clusters, times, items.
Its slot is `announce-<HHMMSS>` (local start time), so its id is
`<commune>/announce-<HHMMSS>/<date>`, with `-2`, `-3`... when that one is taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from math import ceil

from broadcastd.announce.model import AnnouncementRequest, TargetSpec
from broadcastd.i18n import Language, Text, _, listing, ngettext, say
from broadcastd.planning.occurrences import Occurrence, broadcast_id
from broadcastd.timetable.model import Item, Timetable, parse_clock

MAX_LENGTH = timedelta(hours=24)
_LIST = 12


class AnnouncementRefused(ValueError):
    """Why an announcement cannot go out, and what to change: for a person, in the
    language each reader asks for (`said`); the exception's own text is English."""

    def __init__(self, reason: Text, fix: Text, kind: str = "other", **facts: str) -> None:
        super().__init__(f"{reason}. Fix: {fix}")
        self.reason = reason
        self.fix = fix
        self.kind = kind
        """Which refusal (`start_past`, `unknown_audio`...), for words in other languages."""
        self.facts = facts
        """Its particulars (names, times), for the same."""

    def said(self, lang: Language) -> str:
        """`reason. Fix: fix` in `lang`."""
        line: str = say(_("{reason}. Fix: {fix}").format(reason=self.reason, fix=self.fix), lang)
        return line


def _names(values: Sequence[str]) -> Text | str:
    shown = ", ".join(values[:_LIST])
    if len(values) <= _LIST:
        return shown
    more = ngettext("(and {n} more)", "(and {n} more)", len(values) - _LIST)
    return listing([shown, more], " ")


def find_timetable(timetables: Sequence[Timetable], commune: str) -> Timetable:
    for timetable in timetables:
        if timetable.commune.id == commune:
            return timetable
    known = [t.commune.id for t in timetables]
    raise AnnouncementRefused(
        _("no commune {commune} runs on this server").format(commune=repr(commune)),
        _('write "commune" as one of: {communes}').format(
            communes=_names(known) or _("(none: no timetable loaded)")
        ),
        "unknown_commune", names=commune,
    )


def target_clusters(timetable: Timetable, target: str | TargetSpec) -> tuple[str, ...]:
    """The clusters named, in timetable order; unknown area or cluster names refused."""
    if not isinstance(target, TargetSpec):
        return tuple(timetable.area_of)
    areas = [area.id for area in timetable.areas]
    unknown = [area for area in target.areas if area not in areas]
    if unknown:
        raise AnnouncementRefused(
            _("commune {commune} has no area {areas}").format(
                commune=timetable.commune.id, areas=_names(unknown)
            ),
            _("use its areas: {areas}").format(areas=_names(areas)),
            "unknown_area", names=_names(unknown),
        )
    unknown = [cluster for cluster in target.clusters if cluster not in timetable.area_of]
    if unknown:
        raise AnnouncementRefused(
            _("commune {commune} has no cluster {clusters}").format(
                commune=timetable.commune.id, clusters=_names(unknown)
            ),
            _("use its clusters: {clusters}").format(clusters=_names(timetable.clusters)),
            "unknown_cluster", names=_names(unknown),
        )
    return tuple(
        cluster
        for cluster, area in timetable.area_of.items()
        if area in target.areas or cluster in target.clusters
    )


_ISO_HINT = "2026-11-29T14:30:00+07:00"


def parse_moment(text: str, now: datetime, field: str) -> datetime:
    """`HH:MM[:SS]` on the commune's date of `now` (aware, in its zone), or ISO 8601
    with an offset."""
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", text.strip()):
        try:
            clock = parse_clock(text)
        except ValueError as exc:
            raise AnnouncementRefused(
                _('"{field}": {value} is not a time of day').format(field=field, value=repr(text)),
                _("write HH:MM or HH:MM:SS"),
                "not_a_time", field=field, text=text,
            ) from exc
        return datetime.combine(now.date(), clock, tzinfo=now.tzinfo)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise AnnouncementRefused(
            _('"{field}": {value} is not a time').format(field=field, value=repr(text)),
            _('write "now", a time of day like "14:30", or a date and time like "{example}"')
            .format(example=_ISO_HINT),
            "not_a_time", field=field, text=text,
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AnnouncementRefused(
            _('"{field}": {value} has no UTC offset').format(field=field, value=repr(text)),
            _('add it, like "{example}"').format(example=_ISO_HINT),
            "not_a_time", field=field, text=text,
        )
    return moment.astimezone(now.tzinfo)


def start_of(request: AnnouncementRequest, now: datetime, lead_s: float) -> datetime:
    """`now` is `lead_s` ahead (whole seconds), for the clusters to fetch the files."""
    if request.start.strip().lower() == "now":
        ahead = now + timedelta(seconds=lead_s)
        return ahead.replace(microsecond=0) + timedelta(seconds=1 if ahead.microsecond else 0)
    start = parse_moment(request.start, now, "start")
    if start < now:
        raise AnnouncementRefused(
            _("the start {start} ({date}) is already past: it is {now} in the commune").format(
                start=f"{start:%H:%M:%S}", date=str(start.date()), now=f"{now:%H:%M:%S}"
            ),
            _('write "now", or a later time'),
            "start_past", start=f"{start:%H:%M:%S}", day=f"{start:%d/%m/%Y}",
            now=f"{now:%H:%M:%S}",
        )
    return start


Lengths = Callable[[str], "float | None"]


def _no_speech(text: str) -> float | None:
    return None


def build_items(
    request: AnnouncementRequest, durations: Lengths, spoken: Lengths = _no_speech
) -> list[tuple[Item | None, float | None, str | None]]:
    """Each item checked against the library: (audio or text item, or None for a stream;
    its length, or None for a stream without one; the stream URL). `spoken(text)`: the
    length of a text's speech, spoken beforehand at the edge; None when it is not."""
    names = [
        name
        for item in request.items
        for name in (item.audio, item.fallback)
        if name is not None and durations(name) is None
    ]
    if names:
        raise AnnouncementRefused(
            _("no audio {names} in the library").format(names=_names(names)),
            _(
                "use a name that `broadcastd audio list` shows, or add the file with "
                "`broadcastd audio add FILE --name NAME`"
            ),
            "unknown_audio", names=_names(names),
        )
    built: list[tuple[Item | None, float | None, str | None]] = []
    for position, item in enumerate(request.items):
        if item.text is not None:
            length = spoken(item.text)
            if length is None:
                raise AnnouncementRefused(
                    _("item {position}, a text, was not spoken (no speech engine here)").format(
                        position=position + 1
                    ),
                    _('record it and use "audio", or set up `tts:` in the server\'s config'),
                )
            built.append((Item(text=item.text, title=item.title), length, None))
        elif item.audio is not None:
            audio = Item(audio=item.audio, title=item.title)
            built.append((audio, durations(item.audio), None))
        else:
            if item.duration_s is None and position != len(request.items) - 1:
                raise AnnouncementRefused(
                    _(
                        "item {position}, the stream {url}, has no duration_s and is not the "
                        "last item, so nothing after it would play"
                    ).format(position=position + 1, url=item.stream),
                    _('give it "duration_s", or make it the last item'),
                )
            built.append((None, item.duration_s, item.stream))
    return built


def _stream(url: str, duration_s: float, title: str | None, fallback: str | None) -> Item:
    fields: dict[str, object] = {"stream": url, "duration_s": duration_s, "title": title}
    if fallback is not None:
        fields["fallback"] = fallback
    return Item.model_validate(fields)


def to_occurrence(
    request: AnnouncementRequest,
    timetables: Sequence[Timetable],
    durations: Lengths,
    now: datetime,
    *,
    lead_s: float,
    taken: Callable[[str], bool],
    spoken: Lengths = _no_speech,
) -> Occurrence:
    """The occurrence an announcement is, or AnnouncementRefused (reason and fix).

    `durations(name)`: a library item's length, None when unknown. `taken(base_id)`:
    whether an id is in use (by an earlier announcement). `spoken(text)`: the length of
    a text item's speech (see `build_items`)."""
    timetable = find_timetable(timetables, request.commune)
    zone = timetable.commune.zone
    local_now = now.astimezone(zone)
    clusters = target_clusters(timetable, request.target)
    start = start_of(request, local_now, lead_s)
    items = build_items(request, durations, spoken)
    known = sum(length or 0.0 for _audio, length, _url in items)
    if request.end is not None:
        end = parse_moment(request.end, start, "end")
    elif request.duration_s is not None:
        end = start + timedelta(seconds=request.duration_s)
    elif any(length is None for _audio, length, _url in items):
        raise AnnouncementRefused(
            _(
                "a stream without duration_s plays to the end of the announcement, "
                "and this announcement has no end"
            ),
            _('give "end" or "duration_s" (or the stream its own "duration_s")'),
            "stream_without_end",
        )
    else:
        end = start + timedelta(seconds=ceil(known))
    if end <= start:
        raise AnnouncementRefused(
            _("the end {end} is not after the start {start}").format(
                end=f"{end:%H:%M:%S}", start=f"{start:%H:%M:%S}"
            ),
            _('give a later "end", or "duration_s"'),
            "end_not_after_start", end=f"{end:%H:%M:%S}", start=f"{start:%H:%M:%S}",
        )
    if end - start > MAX_LENGTH:
        raise AnnouncementRefused(
            _("an announcement lasts at most 24 hours"),
            _('give an earlier "end" or shorter duration'),
            "too_long",
        )
    playlist: list[Item] = []
    offset = 0.0
    for (audio, length, url), asked in zip(items, request.items, strict=True):
        if audio is not None:
            playlist.append(audio)
        else:
            assert url is not None
            rest = (end - start).total_seconds() - offset
            if length is None and rest <= 0:
                raise AnnouncementRefused(
                    _("the stream {url} has no time left before the end").format(url=url),
                    _('give a later "end", or the stream its own "duration_s"'),
                )
            playlist.append(_stream(url, length or rest, asked.title, asked.fallback))
        offset += length or 0.0
    slot = _free_slot(request.commune, start, taken)
    return Occurrence(
        commune=request.commune,
        slot=slot,
        title=request.title or "Thông báo",  # what officials call it; the id says the rest
        local_date=start.date(),
        start=start,
        end=end,
        priority=request.priority,
        volume=request.volume,
        clusters=clusters,
        playlist=tuple(playlist),
    )


def _free_slot(commune: str, start: datetime, taken: Callable[[str], bool]) -> str:
    stem = f"announce-{start:%H%M%S}"
    slot, number = stem, 1
    while taken(broadcast_id(commune, slot, start.date())):
        number += 1
        slot = f"{stem}-{number}"
    return slot
