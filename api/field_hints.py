"""Where a body field that a command refused as unknown belongs: the commands that take it.

A frontend that sends `personal_data` to an episode, or `program_id` with a service, hears which
request takes that field (and a near spelling of the command's own fields, for a typo) rather
than only that the field is not permitted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from api.bodies import Body
from api.command_table import COMMANDS, Command


def _nested(annotation: Any) -> type[Body] | None:
    """The body a field holds (personal data), if it holds one."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate  # type: ignore[return-value]
    return None


@cache
def _homes() -> dict[str, list[str]]:
    """Each field name -> where it is sent: `POST path` (as `outer.field` when nested)."""
    homes: dict[str, list[str]] = {}
    for command in COMMANDS:
        for name, info in command.body.model_fields.items():
            homes.setdefault(name, []).append(f"POST {command.path}")
            inner = _nested(info.annotation)
            for inner_name in inner.model_fields if inner is not None else ():
                homes.setdefault(inner_name, []).append(
                    f"`{name}.{inner_name}` of POST {command.path}"
                )
    return {name: list(dict.fromkeys(where)) for name, where in homes.items()}


def hint(command: Command, field: str) -> str:
    """What to do about `field`, which `command`'s body does not take."""
    own: Iterable[str] = command.body.model_fields
    where = [w for w in _homes().get(field, []) if not w.endswith(f" {command.path}")]
    if where:
        return f"`{field}` is not sent with this command; it belongs to: {'; '.join(where[:4])}"
    close = difflib.get_close_matches(field, list(own), n=1)
    if close:
        return f"`{field}` is not a field of this command: did you mean `{close[0]}`?"
    return f"`{field}` is not a field of this command; it takes: {', '.join(own)}"


def with_hints(command: Command, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors (located under `body` or not), each unknown top-level field's message
    saying where it belongs."""
    hinted = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        top = loc[1:] if loc[:1] == ("body",) else loc
        if error.get("type") == "extra_forbidden" and len(top) == 1 and isinstance(top[0], str):
            hinted.append({**error, "msg": f"{error['msg']}: {hint(command, top[0])}"})
        else:
            hinted.append(error)
    return hinted
