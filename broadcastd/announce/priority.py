"""Priority words and numbers: `routine` 0, `priority` 50, `emergency` 100, or 0-100.

A stand-in until the timetables' own mapping (a pure module of the parallel change to
timetables) can be imported; then `priority_value` should call it, so that the words
mean the same in a timetable and in an announcement.
"""

from __future__ import annotations

PRIORITY_WORDS = {"routine": 0, "priority": 50, "emergency": 100}
EMERGENCY = PRIORITY_WORDS["emergency"]


def priority_value(value: str | int) -> int:
    """The number a word or number stands for; ValueError with the fix otherwise."""
    if isinstance(value, int):
        number = value
    elif value.strip().isdigit():
        number = int(value.strip())
    elif value.strip().lower() in PRIORITY_WORDS:
        return PRIORITY_WORDS[value.strip().lower()]
    else:
        words = ", ".join(f"{word} ({number})" for word, number in PRIORITY_WORDS.items())
        raise ValueError(f"unknown priority {value!r}; write one of {words}, or a number 0-100")
    if not 0 <= number <= 100:
        raise ValueError(f"priority {number} is out of range; write a number from 0 to 100")
    return number
