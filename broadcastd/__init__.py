"""broadcastd: scheduler daemon for commune loudspeaker clusters."""

__version__ = "0.1.0"
