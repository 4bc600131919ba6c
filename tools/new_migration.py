"""Write the next schema migration from the difference between schema.py and the revisions.

A scratch SQLite file is brought to the current head by the real migrations, then
Alembic's autogenerate compares it with `broadcastd.store.schema.metadata` and writes
`broadcastd/store/migrations/versions/NNNN_<message>.py` with revision id `NNNN` (the
next number) in batch mode. Read it, fix what autogenerate cannot know (renames, data
moves, server defaults), then run the store tests (see the README beside the migrations).

    .venv/bin/python tools/new_migration.py "deliveries: owner column"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from alembic import command

from broadcastd.store.engine import make_engine
from broadcastd.store.migrate import alembic_config, head


def next_revision(current: str) -> str:
    """`0001` -> `0002`: revision ids are the file's four-digit sequence number."""
    return f"{int(current) + 1:04d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help="what changes, e.g. 'deliveries: owner column'")
    args = parser.parse_args(argv)
    revision = next_revision(head())
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        try:
            with engine.begin() as conn:
                script = command.revision(
                    alembic_config(conn), message=args.message, autogenerate=True,
                    rev_id=revision,
                )
        finally:
            engine.dispose()
    written = script[0] if isinstance(script, list) else script
    if written is None:
        print("nothing written", file=sys.stderr)
        return 1
    print(f"revision {revision}: {written.path}")
    print("Read it (batch mode on SQLite, no lost rows), then: "
          ".venv/bin/python -m pytest tests/store -q")
    return 0


if __name__ == "__main__":
    sys.exit(main())
