"""The words the console's pages show, Vietnamese first, English on request.

One place for them, by key, so templates and view models say `w["stop"]`; each word is
an English message id in the project's gettext catalogue (`broadcastd.i18n`,
docs/translating.md), whose Vietnamese is in `locale/vi/.../broadcastd.po` with every
other message of the daemon. The outcome words are the reports' (`reports.words`), so a
page and a downloaded report never call the same thing by two names. A word with
`{placeholders}` is filled in later by its view model (`.format`); as rendered here its
braces stay as written.
"""

from __future__ import annotations

from functools import cache

from broadcastd.i18n import Text, pgettext, say
from broadcastd.reports.words import LANGS, Lang, outcome_word
from broadcastd.store.outcomes import Outcome

__all__ = ["CELL_KEYS", "LANGS", "SYMBOLS", "Lang", "cell_word", "lang_of", "legend", "words"]

LANG_COOKIE = "lang"

CELL_KEYS = (
    "pending", "playing", "suspended", *(o.value for o in Outcome),
)
"""What a cell of the Today page can show: a state while the broadcast is on, its
outcome once over."""

SYMBOLS: dict[str, str] = {
    "pending": "…",
    "playing": "▶",
    "suspended": "‖",
    Outcome.played: "✓",
    Outcome.partial: "◐",
    Outcome.missed: "✗",
    Outcome.preempted: "⇥",
    Outcome.cancelled: "⊘",
    Outcome.failed: "⚠",
}
"""A sign beside each colour: a cell never says what it means by colour alone."""

_STATES: dict[str, Text] = {
    "pending": pgettext("console state", "pending"),
    "playing": pgettext("console state", "playing"),
    "suspended": pgettext("console state", "suspended"),
}
"""What a cell shows while its broadcast is not over (then it shows the outcome)."""

_PAGE: dict[str, Text] = {
    "app": pgettext("console", "Loudspeaker broadcasts"),
    "today": pgettext("console", "Today"),
    "sign_out": pgettext("console", "Sign out"),
    "signed_in_as": pgettext("console", "User"),
    "main_nav": pgettext("console", "Main"),
    "skip": pgettext("console", "Skip to content"),
    "language": pgettext("console", "Language"),
    "problems": pgettext("console", "Timetable problems"),
    "no_broadcasts": pgettext("console", "No broadcasts today."),
    "area": pgettext("console", "Area"),
    "cluster": pgettext("console", "Cluster"),
    "offline": pgettext("console", "offline"),
    "legend": pgettext("console", "Legend"),
    "updated": pgettext("console", "Updated at"),
    "broadcast": pgettext("console", "Broadcast"),
    "start": pgettext("console", "Start"),
    "end": pgettext("console", "End"),
    "priority": pgettext("console", "Priority"),
    "target": pgettext("console", "Clusters"),
    "playlist": pgettext("console", "Playlist"),
    "history": pgettext("console", "Changes"),
    "by": pgettext("console", "By"),
    "action": pgettext("console", "Action"),
    "reason": pgettext("console", "Reason"),
    "at": pgettext("console", "At"),
    "outcome": pgettext("console", "Outcome"),
    "acks": pgettext("console", "Cluster acks"),
    "state": pgettext("console", "State"),
    "item": pgettext("console", "Item"),
    "stop": pgettext("console", "Stop"),
    "stop_all": pgettext("console", "Stop on every cluster"),
    "stop_chosen": pgettext("console", "Stop only on the clusters chosen"),
    "stop_button": pgettext("console", "Stop"),
    "cancelled": pgettext("console", "Cancelled"),
    "cancelled_by": pgettext("console", "Cancelled by"),
    "not_found": pgettext("console", "No such broadcast."),
    "back": pgettext("console", "Back to Today"),
    "stopped": pgettext("console", "Stop sent."),
    "none": pgettext("console", "—"),
    "roles.viewer": pgettext("console", "viewer"),
    "roles.operator": pgettext("console", "operator"),
    "roles.admin": pgettext("console", "admin"),
    "priority.routine": pgettext("console", "routine"),
    "priority.priority": pgettext("console", "priority"),
    "priority.emergency": pgettext("console", "emergency"),
    # cluster and timetable pages
    "commune": pgettext("console", "Commune"),
    "online": pgettext("console", "online"),
    "since": pgettext("console", "since"),
    "never": pgettext("console", "never"),
    "last_seen": pgettext("console", "Last seen"),
    "firmware": pgettext("console", "Firmware"),
    "volume": pgettext("console", "Volume"),
    "last_broadcasts": pgettext("console", "Last broadcasts"),
    "online_history": pgettext("console", "Online history"),
    "came_online": pgettext("console", "came online"),
    "went_offline": pgettext("console", "went offline"),
    "no_cluster": pgettext("console", "No such cluster."),
    "timetable": pgettext("console", "Timetable"),
    "week_ahead": pgettext("console", "the next 7 days"),
    "all_communes": pgettext("console", "All communes"),
    "no_commune": pgettext("console", "No such commune in the timetables; choose one from the "
                                      "list."),
    "timetable_ok": pgettext("console", "No problems in the timetable file."),
    "file": pgettext("console", "File"),
    "time": pgettext("console", "Time"),
    "slot_title": pgettext("console", "Broadcast"),
    "no_slots": pgettext("console", "No broadcasts."),
    "today_mark": pgettext("console", "today"),
    "skipped": pgettext("console", "Not played this day"),
    "added": pgettext("console", "Added for this day"),
    "replaced": pgettext("console", "Own playlist this day"),
    "note": pgettext("console", "Note"),
    "all_areas": pgettext("console", "All areas"),
    "unknown_length": pgettext("console", "length unknown"),
    "weekday.0": pgettext("console", "Monday"),
    "weekday.1": pgettext("console", "Tuesday"),
    "weekday.2": pgettext("console", "Wednesday"),
    "weekday.3": pgettext("console", "Thursday"),
    "weekday.4": pgettext("console", "Friday"),
    "weekday.5": pgettext("console", "Saturday"),
    "weekday.6": pgettext("console", "Sunday"),
    # audio library page
    "library": pgettext("console", "Audio library"),
    "library.intro": pgettext("console", "Programmes, brought to the same loudness; timetables "
                                         "name each by its name."),
    "library.name": pgettext("console", "Name"),
    "library.title": pgettext("library.title", "Title"),
    "library.duration": pgettext("console", "Length"),
    "library.loudness": pgettext("console", "Loudness"),
    "library.size": pgettext("console", "Size"),
    "library.added": pgettext("console", "Added"),
    "library.uses": pgettext("console", "Used by"),
    "library.unused": pgettext("console", "No timetable"),
    "library.listen": pgettext("console", "Listen"),
    "library.missing": pgettext("console", "File missing"),
    "library.empty": pgettext("console", "The library is empty."),
    "library.count": pgettext("console", "{count} items, {total} in all"),
    "library.upload": pgettext("console", "Add a programme"),
    "library.file": pgettext("console", "Audio file"),
    "library.file_hint": pgettext("console", "MP3, WAV, M4A, OGG, FLAC, AMR…, at most {max_mb} "
                                             "MB."),
    "library.name_hint": pgettext("console", "The name timetables use: lower-case letters "
                                             "without accents, digits and '-' (e.g. ban-tin-t2). "
                                             "Left empty, it is made from the title."),
    "library.trim": pgettext("console", "Cut silence at the start and the end"),
    "library.submit": pgettext("console", "Upload"),
    "library.uploading": pgettext("console", "Uploading: {percent}%"),
    "library.processing": pgettext("console", "Uploaded; bringing it to the loudness target, "
                                              "please wait…"),
    "library.added_notice": pgettext("console", "Added «{title}» ({name}) to the library."),
    "library.viewer_note": pgettext("console", "Only operators can add programmes."),
    "library.detail": pgettext("console", "Technical detail"),
    "library.progress": pgettext("console", "Upload progress"),
    "library.lost": pgettext("console", "The connection to the server was lost while uploading. "
                                        "Check the network and send it again."),
    "library.use_slot": pgettext("console", "{where}, slot {slot}"),
    "library.use_one_off": pgettext("console", "{where}, one-off slot {slot} on {day}"),
    "library.use_dated": pgettext("console", "{where}, slot {slot}, on {day} only"),
    "library.problem.too_big": pgettext("console", "The file is larger than {max_mb} MB and was "
                                                   "not taken. Shorten it or export a smaller "
                                                   "file (e.g. MP3 at 64 kbit/s)."),
    "library.problem.incomplete": pgettext("console", "The file did not arrive whole (none "
                                                      "chosen, or the upload was cut off). "
                                                      "Choose the file and send it again."),
    "library.problem.empty": pgettext("console", "The file is empty. Copy it again from the "
                                                 "phone or recorder."),
    "library.problem.truncated": pgettext("console", "The file is damaged or cut short. Copy or "
                                                     "export it again and send it again."),
    "library.problem.silent": pgettext("console", "The file holds only silence. Check the "
                                                  "recording."),
    "library.problem.name_taken": pgettext("console", "The name «{name}» is already in the "
                                                      "library. Choose another name, or remove "
                                                      "the old item first."),
    "library.problem.invalid_name": pgettext("console", "The name «{name}» cannot be used: only "
                                                        "lower-case a-z, digits 0-9 and '-', at "
                                                        "most 63 long."),
    "library.problem.not_audio": pgettext("console", "This is not an audio file that can be read "
                                                     "(a picture or a document?). Choose the "
                                                     "recording, or export it again as MP3."),
    "library.problem.write": pgettext("console", "The server could not write to the library "
                                                 "(disk full or no permission). Nothing changed; "
                                                 "tell the technician."),
    "library.problem.no_ffmpeg": pgettext("console", "The server has no ffmpeg to convert audio. "
                                                     "Ask the technician to install ffmpeg."),
    "library.problem.catalogue": pgettext("console", "The library's catalogue (catalogue.yaml) "
                                                     "is damaged. Ask the technician to run "
                                                     "broadcastd audio check."),
    "library.problem.failed": pgettext("console", "This file could not be converted; nothing "
                                                  "changed. Export it again as MP3 and send it "
                                                  "again, or tell the technician."),
    # announce page
    "announce": pgettext("console", "Announce"),
    "announce.intro": pgettext("console", "Broadcast a message outside the timetable: who hears "
                                          "it, what, and when. The next step shows it all before "
                                          "anything is sent."),
    "announce.need_operator": pgettext("console", "This page needs the operator role."),
    "announce.need_operator_fix": pgettext("console", "Your account may only view. If you need "
                                                      "to announce, ask an administrator for the "
                                                      "operator role."),
    "announce.not_started": pgettext("console", "The server is still starting (or runs without "
                                                "delivery): nothing can be sent yet."),
    "announce.not_started_fix": pgettext("console", "Wait a moment, then reload the page."),
    "announce.not_kept": pgettext("console", "The database did not take the announcement, so "
                                             "nothing was sent."),
    "announce.not_kept_fix": pgettext("console", "Ask the technician to check the server (a full "
                                                 "disk?), then confirm again."),
    "announce.problems": pgettext("console", "Not sent"),
    "announce.fix_label": pgettext("console", "Fix"),
    "announce.commune": pgettext("console", "Commune"),
    "announce.choose": pgettext("console", "Choose"),
    "announce.who": pgettext("console", "Who hears it"),
    "announce.whole_commune": pgettext("console", "Whole commune"),
    "announce.who_hint": pgettext("console", "Tick a whole area, or single clusters."),
    "announce.what": pgettext("console", "What"),
    "announce.source_audio": pgettext("console", "A file from the library"),
    "announce.source_stream": pgettext("console", "A live stream (URL)"),
    "announce.audio": pgettext("console", "Audio file"),
    "announce.pick": pgettext("console", "— choose a file —"),
    "announce.upload": pgettext("console", "Upload a new file to the library"),
    "announce.stream_url": pgettext("console", "Stream URL"),
    "announce.fallback_label": pgettext("console", "Fallback file while the stream cannot be "
                                                   "opened (optional)"),
    "announce.no_fallback": pgettext("console", "— none —"),
    "announce.priority_hint": pgettext("console", "Emergency: takes these clusters from any "
                                                  "other broadcast, which resumes afterwards."),
    "announce.when": pgettext("console", "When"),
    "announce.start_now": pgettext("console", "Now"),
    "announce.start_today": pgettext("console", "Today at"),
    "announce.start_at": pgettext("console", "On date and time"),
    "announce.end_auto": pgettext("console", "Stop when the file ends"),
    "announce.end_minutes": pgettext("console", "Play for (minutes)"),
    "announce.end_until": pgettext("console", "Until"),
    "announce.title": pgettext("announce.title", "Title"),
    "announce.title_hint": pgettext("console", "Empty: “Thông báo”."),
    "announce.reason": pgettext("console", "Reason (kept in the audit log)"),
    "announce.check": pgettext("console", "Review before sending"),
    "announce.confirm_heading": pgettext("console", "Review before sending"),
    "announce.confirm_intro": pgettext("console", "Not sent yet. Check, then press Confirm."),
    "announce.confirm": pgettext("console", "Confirm and broadcast"),
    "announce.edit": pgettext("console", "Edit"),
    "announce.hearers": pgettext("console", "Who hears it"),
    "announce.content": pgettext("console", "Audio"),
    "announce.length": pgettext("console", "Length"),
    "announce.start": pgettext("console", "start"),
    "announce.end": pgettext("console", "end"),
    "announce.hours": pgettext("console", "h"),
    "announce.minutes": pgettext("console", "min"),
    "announce.seconds": pgettext("console", "s"),
    "announce.at_once": pgettext("console", "As soon as you confirm (about {time})"),
    "announce.today": pgettext("console", "today"),
    "announce.only": pgettext("console", "only"),
    "announce.clusters_count": pgettext("console", "{count} clusters"),
    "announce.stream": pgettext("console", "Live stream"),
    "announce.fallback": pgettext("console", "fallback"),
    "announce.problem.commune": pgettext("console", "No such commune."),
    "announce.fix.commune": pgettext("console", "Choose a commune from the list."),
    "announce.problem.target": pgettext("console", "Nobody chosen to hear it."),
    "announce.fix.target": pgettext("console", "Tick at least one area or cluster, or “Whole "
                                               "commune”."),
    "announce.problem.priority": pgettext("console", "Not a priority."),
    "announce.fix.priority": pgettext("console", "Choose routine, priority or emergency."),
    "announce.problem.minutes": pgettext("console", "“{minutes}” is not a usable number of "
                                                    "minutes."),
    "announce.fix.minutes": pgettext("console", "Write a number of minutes above 0, at most 1440 "
                                                "(24 hours)."),
    "announce.problem.title": pgettext("console", "The title is too long."),
    "announce.fix.title": pgettext("console", "Shorten it to 200 characters at most."),
    "announce.problem.reason": pgettext("console", "The reason is too long."),
    "announce.fix.reason": pgettext("console", "Shorten it to 500 characters at most."),
    "announce.source_text": pgettext("console", "Read out a text (the server's speech engine)"),
    "announce.text_label": pgettext("console", "The notice"),
    "announce.text_limit": pgettext("console", "2,000"),
    "announce.text_hint": pgettext("console", "Write it as a notice, at most {limit} characters. "
                                              "The server reads numbers, times, dates and "
                                              "abbreviations (UBND, HTX...) as a person would."),
    "announce.text_item": pgettext("console", "Text read out"),
    "announce.problem.text": pgettext("console", "Nothing to read out, or the text is too long."),
    "announce.fix.text": pgettext("console", "Write the notice in the box, at most 2,000 "
                                             "characters."),
    "announce.problem.text_unspoken": pgettext("console", "The server could not read the text "
                                                          "out: {problem}"),
    "announce.fix.text_unspoken": pgettext("console", "Change the text, or choose a recording; "
                                                      "if it happens again, tell the technician."),
    "announce.problem.audio": pgettext("console", "No audio file chosen."),
    "announce.fix.audio": pgettext("console", "Choose a file from the list, or choose “A live "
                                              "stream”."),
    "announce.problem.stream": pgettext("console", "The stream URL cannot be used."),
    "announce.fix.stream": pgettext("console", "Write the whole address, starting with http:// "
                                               "or https://."),
    "announce.problem.other": pgettext("console", "The form is not right: {text}"),
    "announce.fix.other": pgettext("console", "Check what you filled in."),
    "announce.problem.unknown_commune": pgettext("console", "This server does not run commune "
                                                            "{names}."),
    "announce.fix.unknown_commune": pgettext("console", "Choose a commune from the list."),
    "announce.problem.unknown_area": pgettext("console", "The commune has no area {names}."),
    "announce.fix.unknown_area": pgettext("console", "Reload the page for the current areas and "
                                                     "choose again."),
    "announce.problem.unknown_cluster": pgettext("console", "The commune has no cluster {names}."),
    "announce.fix.unknown_cluster": pgettext("console", "Reload the page for the current "
                                                        "clusters and choose again."),
    "announce.problem.not_a_time": pgettext("console", "The {what} “{text}” cannot be read."),
    "announce.fix.not_a_time": pgettext("console", "Pick a time as hours:minutes, e.g. 14:30."),
    "announce.problem.start_past": pgettext("console", "The start {start} on {day} is past: it "
                                                       "is {now} in the commune."),
    "announce.fix.start_past": pgettext("console", "Choose “Now”, or a later time."),
    "announce.problem.unknown_audio": pgettext("console", "The library has no file {names}."),
    "announce.fix.unknown_audio": pgettext("console", "Choose a file from the list (reload if "
                                                      "the library just changed), or upload a "
                                                      "new one to the library."),
    "announce.problem.stream_without_end": pgettext("console", "A live stream does not end by "
                                                               "itself, and this announcement "
                                                               "has no end."),
    "announce.fix.stream_without_end": pgettext("console", "Choose “Play for (minutes)” or "
                                                           "“Until”."),
    "announce.problem.end_not_after_start": pgettext("console", "The end {end} is not after the "
                                                                "start {start}."),
    "announce.fix.end_not_after_start": pgettext("console", "Choose a later end, or a number of "
                                                            "minutes."),
    "announce.problem.too_long": pgettext("console", "An announcement lasts at most 24 hours."),
    "announce.fix.too_long": pgettext("console", "Choose an earlier end, or fewer minutes."),
    # reports page
    "reports": pgettext("console", "Reports"),
    "report.title": pgettext("console", "Broadcast report: plan vs actual"),
    "report.choose": pgettext("console", "Choose a report"),
    "report.from": pgettext("console", "From"),
    "report.to": pgettext("console", "To"),
    "report.all_areas": pgettext("console", "Every area"),
    "report.show": pgettext("console", "Show report"),
    "report.range": pgettext("console", "From {first} to {last}"),
    "report.csv": pgettext("console", "Download CSV"),
    "report.xlsx": pgettext("console", "Download Excel (XLSX)"),
    "report.print": pgettext("console", "Print view (save as PDF)"),
    "report.back": pgettext("console", "Back to the report"),
    "report.print_hint": pgettext("console", "Print with Ctrl+P and choose “Save as PDF”."),
    "report.made": pgettext("console", "Made at"),
    "report.total": pgettext("console", "Total"),
    "report.total_line": pgettext("console", "{planned} cluster plays planned; {played} played; "
                                             "share played {share}."),
    "report.share_note": pgettext("console", "Share played = played ÷ (planned − cancelled − not "
                                             "over yet). ▼: below 80%."),
    "report.worst": pgettext("console", "Clusters that played least"),
    "report.none_worst": pgettext("console", "Every cluster played all that was due."),
    "report.share_played": pgettext("console", "share played"),
    "report.missed": pgettext("console", "missed"),
    "report.partial": pgettext("console", "partial"),
    "report.low": pgettext("console", "low"),
    "report.per_cluster": pgettext("console", "Per cluster"),
    "report.per_day": pgettext("console", "Per day"),
    "report.date": pgettext("console", "Date"),
    "report.no_rows": pgettext("console", "No broadcasts in this range."),
    "report.outside": pgettext("console", "(no longer in the timetable)"),
}


def words(lang: Lang) -> dict[str, str]:
    """Every word of the pages in `lang`, the cells' words included (`cell.<key>`).

    Every page asks for them: rendered once per language, then a copy (a caller may
    add to its dict without changing the next page's)."""
    return dict(_rendered(lang))


@cache
def _rendered(lang: Lang) -> dict[str, str]:
    cells = {f"cell.{key}": cell_word(key, lang) for key in CELL_KEYS}
    return {**{key: say(word, lang) for key, word in _PAGE.items()}, **cells}


def cell_word(key: str, lang: Lang) -> str:
    """The word for a cell: a state (`pending`, `playing`, `suspended`) or an outcome."""
    state = _STATES.get(key)
    return say(state, lang) if state is not None else outcome_word(key, lang)


def lang_of(asked: str | None, remembered: str | None) -> Lang:
    """`?lang=` wins, then the cookie, else Vietnamese."""
    for choice in (asked, remembered):
        for lang in LANGS:
            if choice == lang:
                return lang
    return "vi"


def legend(lang: Lang) -> list[tuple[str, str, str]]:
    """(key, word, symbol) of every cell a page can show, for its legend."""
    return [(key, cell_word(key, lang), SYMBOLS[key]) for key in CELL_KEYS]
