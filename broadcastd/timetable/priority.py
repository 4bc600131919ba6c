"""Priority classes: the words officials write and the numbers the speaker contract carries.

One pure place, shared by timetables and announcements: `routine` (0), `priority` (50),
`emergency` (100), or any whole number from 0 to 100. A higher number takes the speaker
from a lower one at its start (contract rule 3).
"""

from __future__ import annotations

from types import MappingProxyType

from broadcastd.i18n import Text, _

ROUTINE, PRIORITY, EMERGENCY = 0, 50, 100
CLASSES = MappingProxyType({"routine": ROUTINE, "priority": PRIORITY, "emergency": EMERGENCY})
"""Word -> number, lowest first."""
LOWEST, HIGHEST = 0, 100


def priority_value(value: object) -> int:
    """The number for a word or a number; ValueError with the fix for anything else
    (pydantic reports a ValueError with the key's line)."""
    number: object = value
    if isinstance(value, str):
        word = value.strip().lower()
        number = CLASSES.get(word, int(word) if word.isdigit() else None)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, int) and not isinstance(number, bool) and LOWEST <= number <= HIGHEST:
        return number
    from broadcastd.timetable.problems import RuleBroken

    raise RuleBroken(*_refusal(value))


def priority_name(value: int) -> str:
    """`emergency` for 100, `routine` for 0, `priority` for 50, else the number itself."""
    for word, number in CLASSES.items():
        if number == value:
            return word
    return str(value)


def _refusal(value: object) -> tuple[Text, Text]:
    words = ", ".join(f"`{word}` ({number})" for word, number in CLASSES.items())
    return (
        _("`{value}` is not a priority").format(value=value),
        _("write one of {words}, or a whole number from {lowest} to {highest}").format(
            words=words, lowest=LOWEST, highest=HIGHEST
        ),
    )
