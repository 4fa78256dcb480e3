"""What a row of the command table is: path, body, who may send it, the Ledger call it makes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from api.bodies import Body
from domain.application import CommandResult, Context
from domain.ledger import Ledger

Params = dict[str, UUID]
# Who may send it (api/policy.py): admin: admins. writer: caseworkers and supervisors. episode,
# participant, new_episode: a writer whose programs cover the episode's program, who may see
# the participant, or who covers the program of the episode the body opens.
Who = Literal["admin", "writer", "episode", "participant", "new_episode"]


@dataclass(frozen=True)
class Call:
    """A Ledger method, called with the path's ids in order and the body's fields as keywords.

    A field that is itself a body (personal data) is passed as the fields it was sent with."""

    method: str
    # Keywords the command implies (which answer to a referral), beside the body's.
    fixed: Mapping[str, object] = field(default_factory=dict)
    # A body field passed under another name.
    renamed: Mapping[str, str] = field(default_factory=dict)
    # Body fields this method does not take.
    omitted: tuple[str, ...] = ()
    # What an optional field left out is passed as.
    none_as: Mapping[str, object] = field(default_factory=dict)

    def arguments(self, body: Body, skip: str | None = None) -> dict[str, Any]:
        arguments: dict[str, Any] = dict(self.fixed)
        for name, value in body:
            if name not in self.omitted and name != skip:
                arguments[self.renamed.get(name, name)] = self._argument(name, value)
        return arguments

    def _argument(self, name: str, value: object) -> object:
        if value is None and name in self.none_as:
            return self.none_as[name]
        if isinstance(value, BaseModel):
            return value.model_dump(exclude_none=True)
        return value


@dataclass(frozen=True)
class Choice:
    """The Ledger call picked by the value of one body field, which is not passed on."""

    field: str
    calls: Mapping[str, Call]


@dataclass(frozen=True)
class Command:
    """One command of the HTTP contract."""

    name: str
    path: str
    body: type[Body]
    who: Who
    call: Call | Choice
    summary: str

    @cached_property
    def ids(self) -> list[str]:
        """The names of the ids in the path, in order."""
        return re.findall(r"{(\w+)}", self.path)

    def pattern(self, id_pattern: str) -> re.Pattern[str]:
        """The path as a regular expression, each id a named group matching `id_pattern`."""
        return re.compile(re.sub(r"{(\w+)}", r"(?P<\1>" + id_pattern + ")", self.path))

    def run(self, ledger: Ledger, ctx: Context, params: Params, body: Body) -> CommandResult:
        """Make the Ledger call of this command (whoever sends it was authorized before)."""
        call, chosen = self.call, None
        if isinstance(call, Choice):
            chosen = call.field
            call = call.calls[getattr(body, chosen)]
        method = getattr(ledger, call.method)
        result: CommandResult = method(
            ctx, *(params[name] for name in self.ids), **call.arguments(body, chosen)
        )
        return result

    def location(self, params: Params, result: CommandResult) -> str:
        """Where the created or changed resource can be read."""
        if "episode_id" in params or self.name == "open_episode":
            return f"/v1/episodes/{params.get('episode_id', result.id)}"
        if "participant_id" in params or self.name == "register_participant":
            return f"/v1/participants/{params.get('participant_id', result.id)}"
        if "facility_id" in params or self.name == "register_facility":
            return f"/v1/facilities/{params.get('facility_id', result.id)}/occupancy"
        return f"/v1/programs/{params.get('program_id', result.id)}"
