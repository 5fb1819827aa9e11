"""The audit trail: every event that changed a video, append-only and hash-chained.

Each entry carries the hash of the one before it (and the database refuses updates and deletes
of entries), so a change to history anywhere breaks the chain from there on.

    python -m creator_service.audit verify VIDEO_ID [--data-dir DIR]

exits 0 when the chain is intact, 1 naming the first broken entry.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .store import GENESIS, SessionStore, audit_hash

COLUMNS = ("seq", "at", "actor", "event", "detail", "prev_hash", "hash")


@dataclass(frozen=True)
class Verdict:
    entries: int
    broken_at: int | None  # the seq of the first entry that does not hold
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def entries(store: SessionStore, video_id: str) -> list[dict[str, Any]]:
    rows = store.query(f"SELECT {', '.join(COLUMNS)} FROM audit WHERE video_id=? ORDER BY seq", (video_id,))
    return [dict(zip(COLUMNS, row)) for row in rows]


def verify(store: SessionStore, video_id: str) -> Verdict:
    previous = GENESIS
    chain = entries(store, video_id)
    for expected_seq, entry in enumerate(chain, start=1):
        if entry["seq"] != expected_seq:
            return Verdict(len(chain), expected_seq, f"entry {expected_seq} is missing")
        if entry["prev_hash"] != previous:
            return Verdict(len(chain), entry["seq"], "it does not name the hash of the entry before it")
        recomputed = audit_hash(video_id, entry["seq"], entry["at"], entry["actor"], entry["event"], entry["detail"],
                                entry["prev_hash"])
        if recomputed != entry["hash"]:
            return Verdict(len(chain), entry["seq"], "its content does not match its hash")
        previous = entry["hash"]
    return Verdict(len(chain), None)


def as_json(store: SessionStore, video_id: str) -> list[dict[str, Any]]:
    return [{**entry, "detail": json.loads(entry["detail"])} for entry in entries(store, video_id)]


def as_csv(store: SessionStore, video_id: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in entries(store, video_id):
        writer.writerow([entry[column] for column in COLUMNS])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m creator_service.audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CREATOR_DATA_DIR", "").strip() or "data"))
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check a video's audit chain")
    check.add_argument("video_id")
    args = parser.parse_args(argv)
    verdict = verify(SessionStore(args.data_dir / "creator.db"), args.video_id)
    if verdict.entries == 0:
        print(f"no audit entries for {args.video_id}", file=sys.stderr)
        return 2
    if verdict.intact:
        print(f"{args.video_id}: intact, {verdict.entries} entries")
        return 0
    print(f"{args.video_id}: BROKEN at entry {verdict.broken_at} of {verdict.entries}: {verdict.reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
