"""What replacing an audio item's recording would do to the timetables.

`broadcastd audio add --replace` asks this before it changes the catalogue: every
timetable is loaded twice, with the item as it is and as it would be, and only the
errors the swap brings are told, so a problem the timetables already have elsewhere
does not block it. A file that may play the item but cannot be read as a timetable
cannot be checked, so it blocks the swap until it is fixed (the daemon still runs its
last good version, which may play the item).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.i18n import _
from broadcastd.timetable.loader import SpeakText, find_uses, load_timetables, timetable_files
from broadcastd.timetable.problems import Problem


def _where(problem: Problem) -> tuple[str, int | None, str]:
    return (str(problem.file), problem.line, problem.key_path)


def swap_problems(
    paths: Sequence[Path], catalogue: Catalogue, entry: AudioEntry,
    speak: SpeakText | None = None,
) -> list[Problem]:
    """The errors the timetables under `paths` would have with `entry` in place of the
    item of its name, at places that have none now (a slot already too long is not
    blamed on the swap), and the files that may play it but cannot be checked (or a
    folder missing: the wrong configuration, nothing checked)."""
    before = load_timetables(paths, catalogue, speak).errors
    swapped = Catalogue(catalogue.library_dir, {**catalogue.entries, entry.name: entry})
    after = load_timetables(paths, swapped, speak)
    known = {_where(problem) for problem in before}
    found = [problem for problem in after.errors if _where(problem) not in known]
    found += [
        Problem(path, None, "", _("this timetable folder does not exist, so no timetable "
                                  "could be checked"),
                _("run the command where config/broadcastd.yaml is, or set "
                  "$BROADCASTD_CONFIG to the daemon's configuration"))
        for path in paths if not path.exists()
    ]
    checked = {item.path.resolve() for item in after.timetables}
    for file in timetable_files(paths)[0]:
        if file.resolve() not in checked and find_uses([file], entry.name):
            found.append(Problem(
                file, None, "", _("this timetable may play {name} but has errors that keep "
                                  "it from being checked with the new recording").format(
                                      name=entry.name),
                _("fix it first (`broadcastd validate`), then replace again"),
            ))
    return found
