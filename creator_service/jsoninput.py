"""JSON from outside (WebSocket frames, HTTP bodies), parsed with limits a hostile sender cannot pass.

Python's parser recurses once per nesting level: 20,000 `[` in 40 KB end in a RecursionError,
which used to drop the socket and turn HTTP bodies into a 500. No message of ours nests deeper than
a handful of levels, so anything deeper than `MAX_DEPTH` is refused as invalid JSON.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class JsonInputError(ValueError):
    """Why a text is not JSON we accept; the message is written for the sender."""


def parse_json(text: str | bytes) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"{exc.msg} at position {exc.pos}") from None
    except RecursionError:
        raise JsonInputError(f"it is nested more than {MAX_DEPTH} levels deep") from None
    except UnicodeDecodeError:
        raise JsonInputError("it is not UTF-8 text") from None
    except ValueError as exc:  # integers of more than 4,300 digits, and the like
        reason = str(exc).split(";")[0]
        raise JsonInputError(f"it holds a number too long to read ({reason})") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise JsonInputError(f"it is nested more than {MAX_DEPTH} levels deep")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so that checking depth cannot itself overflow the stack.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
