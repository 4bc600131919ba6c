"""The Announce page's form: the fields an operator fills in, read into the announce
package's own `AnnouncementRequest`, and the words of the confirmation and refusals.

Pure. It decides nothing that `POST /announcements` decides: the request model and the
planner (through `AnnounceDesk.preview`/`announce`) check what may go out; this module
only reads text into the request's fields (a date-time picked in the commune's zone
gets its offset, minutes become seconds) and turns their answers into the operator's
words, naming the field to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from math import ceil
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from broadcastd.announce.model import AnnouncementRequest
from broadcastd.announce.plan import AnnouncementRefused
from broadcastd.api.views import CommuneTopology
from broadcastd.audio.catalogue import AudioEntry
from broadcastd.planning.occurrences import Occurrence
from broadcastd.timetable.model import Item
from broadcastd.timetable.priority import priority_name

PRIORITIES = ("routine", "priority", "emergency")
TEXT_SHOWN = 300
"""Characters of a written notice the confirmation repeats (the rest as …)."""
LISTS = ("areas", "clusters")
"""Fields a form may send more than once (one per box ticked)."""


@dataclass(frozen=True)
class AnnounceForm:
    """What the form sent, as text: kept as typed, so a refused form comes back filled."""

    commune: str = ""
    whole: str = ""
    """"1": the whole commune hears it (areas and clusters then do not matter)."""
    areas: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    source: str = "audio"
    """`audio` (a library item), `stream` (a URL, with an optional fallback item) or
    `text` (a written notice the server reads out)."""
    audio: str = ""
    text: str = ""
    stream: str = ""
    fallback: str = ""
    priority: str = "routine"
    start: str = "now"
    """`now`, `today` (at `start_time`, HH:MM) or `at` (`start_at`, a date and time)."""
    start_time: str = ""
    start_at: str = ""
    end: str = "auto"
    """`auto` (the audio's length), `minutes` (`minutes` long) or `until` (`end_time`)."""
    minutes: str = ""
    end_time: str = ""
    title: str = ""
    reason: str = ""

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> AnnounceForm:
        """From the posted fields (other fields, like the CSRF token, are ignored)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, str | tuple[str, ...]] = {name: () for name in LISTS}
        for name, value in pairs:
            if name in LISTS:
                values[name] = (*values[name], value) if value else values[name]
            elif name in known:
                values[name] = value.strip()
        return cls(**values)  # type: ignore[arg-type]  # each field of its own type

    def pairs(self) -> list[tuple[str, str]]:
        """The fields again, for the confirmation page to carry in hidden inputs."""
        out: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            out += [(f.name, v) for v in value] if f.name in LISTS else [(f.name, value)]
        return out


@dataclass(frozen=True)
class Problem:
    """One refusal in the operator's words; `field` names the input to change."""

    field: str
    message: str
    fix: str


class FormRefused(Exception):
    """The form cannot become a request; `problems` say why and what to change."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _problem(w: Mapping[str, str], field_name: str, key: str, **facts: str) -> Problem:
    return Problem(
        field_name,
        w[f"announce.problem.{key}"].format(**facts),
        w[f"announce.fix.{key}"].format(**facts),
    )


def to_request(form: AnnounceForm, zone: ZoneInfo, w: Mapping[str, str]) -> AnnouncementRequest:
    """The request `POST /announcements` would take; FormRefused with every problem the
    request model finds (no target, no audio, a bad URL...) in `w`'s words."""
    body: dict[str, object] = {
        "commune": form.commune,
        "target": "all" if form.whole else {"areas": form.areas, "clusters": form.clusters},
        "priority": form.priority,
        "items": [_item(form)],
        "start": _start(form, zone),
        "title": form.title,
        "reason": form.reason or None,
    }
    if form.end == "minutes":
        try:
            body["duration_s"] = float(form.minutes.replace(",", ".")) * 60
        except ValueError:
            raise FormRefused([_problem(w, "end", "minutes", minutes=form.minutes)]) from None
    elif form.end == "until":
        body["end"] = form.end_time
    try:
        return AnnouncementRequest.model_validate(body)
    except ValidationError as invalid:
        raise FormRefused(_shape_problems(invalid, form, w)) from None


def _item(form: AnnounceForm) -> dict[str, str | None]:
    if form.source == "stream":
        return {"stream": form.stream or None, "fallback": form.fallback or None}
    if form.source == "text":
        return {"text": form.text or None}
    return {"audio": form.audio or None}


def _start(form: AnnounceForm, zone: ZoneInfo) -> str:
    """`now`, `HH:MM` today, or a picked date-time (which has no offset) in the commune's
    zone; text that is no date-time goes as typed, for the planner to refuse."""
    if form.start == "today":
        return form.start_time
    if form.start == "at":
        try:
            picked = datetime.fromisoformat(form.start_at)
        except ValueError:
            return form.start_at
        return (picked if picked.tzinfo else picked.replace(tzinfo=zone)).isoformat()
    return "now"


SHAPE_FIELDS = {
    "commune": ("commune", "commune"),
    "target": ("target", "target"),
    "priority": ("priority", "priority"),
    "duration_s": ("end", "minutes"),
    "title": ("title", "title"),
    "reason": ("reason", "reason"),
}
"""The request's field a shape error is about -> (the form's input, the words' key)."""


def _shape_problems(
    invalid: ValidationError, form: AnnounceForm, w: Mapping[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    for error in invalid.errors():
        where = str(error["loc"][0]) if error["loc"] else ""
        if where == "items":
            found = ITEM_FIELDS.get(form.source, ("audio", "audio"))
        else:
            found = SHAPE_FIELDS.get(where, ("", "other"))
        problem = _problem(w, found[0], found[1], text=str(error["msg"]),
                           minutes=form.minutes)
        if problem not in problems:
            problems.append(problem)
    return problems


ITEM_FIELDS = {"audio": ("audio", "audio"), "stream": ("stream", "stream"), "text": ("text", "text")}
"""The item's source -> (the form's input, the words' key) of a problem with it."""

REFUSAL_FIELDS = {
    "unknown_commune": "commune",
    "unknown_area": "target",
    "unknown_cluster": "target",
    "start_past": "start",
    "unknown_audio": "audio",
    "stream_without_end": "end",
    "end_not_after_start": "end",
    "too_long": "end",
    "text_unspoken": "text",
}
"""The planner's refusal -> the input to change (`not_a_time` names its own)."""


def refusal_problem(refused: AnnouncementRefused, w: Mapping[str, str]) -> Problem:
    """The planner's refusal in `w`'s words; one it has no words for, as it said it."""
    if refused.kind == "not_a_time":
        name = refused.facts.get("field", "start")
        return _problem(w, name, "not_a_time", what=w[f"announce.{name}"],
                        text=refused.facts.get("text", ""))
    if refused.kind in REFUSAL_FIELDS:
        return _problem(w, REFUSAL_FIELDS[refused.kind], refused.kind, **refused.facts)
    return Problem("", refused.reason, refused.fix)


def spoken_length(seconds: float, w: Mapping[str, str]) -> str:
    """`1 giờ 5 phút`, `3 phút 12 giây`, `42 giây`: how long, as people say it."""
    total = ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "hours"), (minutes, "minutes"), (secs, "seconds")]
    shown = [f"{n} {w[f'announce.{unit}']}" for n, unit in parts if n]
    if hours:  # seconds do not matter beside hours
        shown = shown[:2]
    return " ".join(shown) or f"0 {w['announce.seconds']}"


@dataclass(frozen=True)
class Confirmation:
    """Who will hear what, when: everything the operator confirms, in words."""

    commune: str
    hearers: list[str]
    count: str
    audio: list[str]
    start: str
    end: str
    length: str
    priority: str
    priority_key: str
    title: str
    reason: str
    fields: list[tuple[str, str]]
    """The form's fields, carried to the send (or back to the form) in hidden inputs."""


def confirmation(
    form: AnnounceForm,
    occurrence: Occurrence,
    commune: CommuneTopology,
    library: Mapping[str, AudioEntry],
    now: datetime,
    w: Mapping[str, str],
) -> Confirmation:
    """What the planner made of the form (`occurrence`, from `AnnounceDesk.preview`),
    said plainly; `now` in the commune's zone says which day is today."""
    heard = set(occurrence.clusters)
    every = [c for members in commune.areas.values() for c in members]
    if heard == set(every):
        hearers = [f"{w['announce.whole_commune']} {commune.name}"]
    else:
        hearers = [
            _area_line(commune.area_names.get(area, area), members, heard, w)
            for area, members in commune.areas.items()
            if heard.intersection(members)
        ]
    word = priority_name(occurrence.priority)
    start, end = occurrence.start, occurrence.end
    starts = (
        w["announce.at_once"].format(time=f"{start:%H:%M:%S}")
        if form.start == "now"
        else _moment(start, now, w)
    )
    return Confirmation(
        commune=commune.name,
        hearers=hearers,
        count=w["announce.clusters_count"].format(count=len(occurrence.clusters)),
        audio=[_item_line(item, library, w) for item in occurrence.playlist],
        start=starts,
        end=_moment(end, now, w),
        length=spoken_length((end - start).total_seconds(), w),
        priority=w.get(f"priority.{word}", word),
        priority_key=word,
        title=occurrence.title,
        reason=form.reason,
        fields=form.pairs(),
    )


def _area_line(name: str, members: Sequence[str], heard: set[str], w: Mapping[str, str]) -> str:
    chosen = [c for c in members if c in heard]
    if len(chosen) == len(members):
        return f"{name} ({', '.join(chosen)})"
    return f"{name} ({w['announce.only']} {', '.join(chosen)})"


def _moment(moment: datetime, now: datetime, w: Mapping[str, str]) -> str:
    day = w["announce.today"] if moment.date() == now.date() else f"{moment:%d/%m/%Y}"
    return f"{moment:%H:%M:%S} {day}"


def _item_line(item: Item, library: Mapping[str, AudioEntry], w: Mapping[str, str]) -> str:
    if item.audio is not None:
        entry = library.get(item.audio)
        if entry is None:
            return item.audio
        return f"{entry.title} ({item.audio}) — {spoken_length(entry.duration_s, w)}"
    if item.text is not None:
        shown = item.text if len(item.text) <= TEXT_SHOWN else item.text[:TEXT_SHOWN] + "…"
        return f"{w['announce.text_item']}: “{shown}”"
    line = f"{w['announce.stream']} {item.stream}"
    if item.fallback is not None:
        entry = library.get(item.fallback)
        line += f" ({w['announce.fallback']}: {entry.title if entry else item.fallback})"
    return line


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    chosen: bool


@dataclass(frozen=True)
class AreaChoice:
    area: str
    name: str
    members: str
    """Its clusters, for the label: `loa-13, loa-14`."""
    chosen: bool
    clusters: list[Choice]
    """One box per cluster, when the area has more than one."""


@dataclass(frozen=True)
class FormPage:
    form: AnnounceForm
    commune: str
    """The commune's name (its id is `form.commune`)."""
    communes: list[Choice]
    """Shown only when there is more than one to choose from."""
    areas: list[AreaChoice]
    audio: list[Choice]
    fallback: list[Choice]
    priorities: list[Choice]
    on: dict[str, bool]
    """Which radio button of each group is chosen: `start.now`, `end.auto`, ..."""
    problems: list[Problem] = field(default_factory=list)
    invalid: frozenset[str] = frozenset()
    """Inputs with a problem (marked aria-invalid)."""


def form_page(
    form: AnnounceForm,
    communes: Sequence[CommuneTopology],
    library: Sequence[AudioEntry],
    w: Mapping[str, str],
    problems: Sequence[Problem] = (),
) -> FormPage:
    """The form for `form.commune` (the first commune if none or unknown), filled as sent."""
    chosen = next((c for c in communes if c.commune == form.commune), None)
    chosen = chosen or (communes[0] if communes else None)
    if chosen is not None and form.commune != chosen.commune:
        form = replace(form, commune=chosen.commune)
    names = chosen.area_names if chosen else {}
    areas = [
        AreaChoice(
            area, names.get(area, area), ", ".join(members), area in form.areas,
            [Choice(c, c, c in form.clusters) for c in members] if len(members) > 1 else [],
        )
        for area, members in (chosen.areas.items() if chosen else [])
    ]
    audio = [Choice(e.name, f"{e.title} — {spoken_length(e.duration_s, w)}", e.name == form.audio)
             for e in library]
    fallback = [Choice(e.name, e.title, e.name == form.fallback) for e in library]
    radios = {"source": form.source, "start": form.start, "end": form.end}
    return FormPage(
        form=form,
        commune=chosen.name if chosen else "",
        communes=[Choice(c.commune, c.name, c is chosen) for c in communes],
        areas=areas,
        audio=audio,
        fallback=fallback,
        priorities=[Choice(p, w[f"priority.{p}"], p == form.priority) for p in PRIORITIES],
        on={f"{group}.{value}": value == asked
            for group, asked in radios.items()
            for value in ("audio", "stream", "text", "now", "today", "at", "auto", "minutes", "until")},
        problems=list(problems),
        invalid=frozenset(p.field for p in problems),
    )
