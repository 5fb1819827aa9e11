"""Manage the service's users against its data folder.

    python -m creator_service.users add NAME --full-name "Dr Ada Lovelace" --role reviewer --discipline medical
    python -m creator_service.users list
    python -m creator_service.users revoke NAME
    python -m creator_service.users rotate NAME

`add` and `rotate` print the user's API token and webhook secret once: only their hashes (and, for
the webhook secret, the secret itself, which the server needs to sign with) are kept. NAME is how
the API names the user. The data folder is `CREATOR_DATA_DIR` (default `./data`) or `--data-dir`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .auth.users import ROLES, Issued, UserDirectory, UserError
from .store import SessionStore


def _show(issued: Issued, verb: str) -> None:
    user = issued.user
    print(f"{verb} {user.name} ({user.full_name}, {user.role}{', ' + user.discipline if user.discipline else ''})")
    print(f"API token (shown once; send it as 'Authorization: Bearer <token>'):\n  {issued.token}")
    print(f"Webhook secret (shown once; your receivers check X-Creator-Signature with it):\n  {user.webhook_secret}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m creator_service.users", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CREATOR_DATA_DIR", "").strip() or "data"))
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a user and print their token once")
    add.add_argument("name")
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--discipline", help="a reviewer's discipline: medical, legal, regulatory, or any word")
    commands.add_parser("list", help="every user, with role and status")
    revoke = commands.add_parser("revoke", help="the user's token stops working at once")
    revoke.add_argument("name")
    rotate = commands.add_parser("rotate", help="a new token and webhook secret; the old ones stop working")
    rotate.add_argument("name")
    args = parser.parse_args(argv)

    args.data_dir.mkdir(parents=True, exist_ok=True)
    directory = UserDirectory(SessionStore(args.data_dir / "creator.db"))
    try:
        if args.command == "add":
            _show(directory.add(args.name, args.full_name, args.role, args.discipline), "Added")
        elif args.command == "rotate":
            _show(directory.rotate(args.name), "Rotated the token of")
        elif args.command == "revoke":
            directory.revoke(args.name)
            print(f"Revoked {args.name}: their token no longer works.")
        else:
            for user in directory.list():
                status = "revoked" if user.revoked_at else "active"
                print(f"{user.name:<20} {user.role:<9} {user.discipline or '-':<12} {status:<8} {user.full_name}")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
