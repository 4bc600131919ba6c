"""The speaker contract, version 1: topic names and payloads, built and parsed in one place.

Everything that crosses MQTT is made and read here, so the rest of the daemon never
formats a topic or a JSON payload by hand. Pure: no I/O.
"""

from broadcastd.contract.messages import (
    ACK_STATES,
    TERMINAL_STATES,
    Ack,
    ContractError,
    PlayCommand,
    PlayItem,
    Presence,
    ServerPresence,
    StopCommand,
    format_time,
    parse_ack,
    parse_command,
    parse_presence,
    parse_server_presence,
)
from broadcastd.contract.topics import (
    ID_PATTERN,
    Topic,
    TopicKind,
    is_valid_id,
    parse_topic,
    server_state_topic,
    topic,
)

__all__ = [
    "ACK_STATES",
    "ID_PATTERN",
    "TERMINAL_STATES",
    "Ack",
    "ContractError",
    "PlayCommand",
    "PlayItem",
    "Presence",
    "ServerPresence",
    "StopCommand",
    "Topic",
    "TopicKind",
    "format_time",
    "is_valid_id",
    "parse_ack",
    "parse_command",
    "parse_presence",
    "parse_server_presence",
    "parse_topic",
    "server_state_topic",
    "topic",
]
