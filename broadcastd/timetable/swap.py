"""What replacing an audio item's recording would do to the timetables.

`broadcastd audio add --replace` asks this before it changes the catalogue: every
timetable is loaded twice, with the item as it is and as it would be, and only the
errors the swap brings are told, so a problem the timetables already have elsewhere
does not block it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.timetable.loader import SpeakText, load_timetables
from broadcastd.timetable.problems import Problem


def _where(problem: Problem) -> tuple[str, int | None, str]:
    return (str(problem.file), problem.line, problem.key_path)


def swap_problems(
    paths: Sequence[Path], catalogue: Catalogue, entry: AudioEntry,
    speak: SpeakText | None = None,
) -> list[Problem]:
    """The errors the timetables under `paths` would have with `entry` in place of the
    item of its name, at places that have none now (a slot already too long is not
    blamed on the swap; the daemon keeps its last good timetable anyway)."""
    before = load_timetables(paths, catalogue, speak).errors
    swapped = Catalogue(catalogue.library_dir, {**catalogue.entries, entry.name: entry})
    after = load_timetables(paths, swapped, speak).errors
    known = {_where(problem) for problem in before}
    return [problem for problem in after if _where(problem) not in known]
