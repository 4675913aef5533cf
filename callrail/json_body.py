"""JSON request bodies with bounded nesting.

Python's parser recurses once per nesting level, so a body of a few thousand ``[``
raises ``RecursionError`` (a 500), and a body just under that limit would make
every later walk over the value (validation, rendering) recurse as deep. Real
bodies nest a few levels; anything deeper than ``MAX_DEPTH`` is refused.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class JSONTooDeep(ValueError):
    pass


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` containers deep (without recursing)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_loads_bounded(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ``ValueError`` (``JSONTooDeep``) for a body nested deeper
    than ``max_depth``, never ``RecursionError``."""
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise JSONTooDeep(f"The JSON body is nested more than {max_depth} levels deep.") from exc
    if depth_exceeds(value, max_depth):
        raise JSONTooDeep(f"The JSON body is nested more than {max_depth} levels deep.")
    return value
