"""What a command of the HTTP contract is: path, body, who may send it, the Ledger call it makes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from api import bodies as b
from api.auth import Principal
from api.problems import ProblemError
from api.record_routes import may_see_person, unseen
from domain.application import CommandResult, Context
from domain.ledger import Ledger
from domain.participant import Participant

Params = dict[str, UUID]
Run = Callable[[Ledger, Context, Params, Any], CommandResult]
# admin: admin only. writer: caseworker or supervisor. episode / participant / new_episode: a
# writer whose programs cover the episode's program / the participant's programs / the body's.
Scope = Literal["admin", "writer", "episode", "participant", "new_episode"]


@dataclass(frozen=True)
class Command:
    name: str
    path: str
    body: type[b.Body]
    scope: Scope
    run: Run
    summary: str

    @property
    def ids(self) -> list[str]:
        """The names of the ids in the path, in order."""
        return re.findall(r"{(\w+)}", self.path)

    def pattern(self, id_pattern: str) -> re.Pattern[str]:
        """The path as a regular expression, each id a named group matching `id_pattern`."""
        return re.compile(re.sub(r"{(\w+)}", r"(?P<\1>" + id_pattern + ")", self.path))

    def location(self, params: Params, result: CommandResult) -> str:
        """Where the created or changed resource can be read."""
        if "episode_id" in params or self.name == "open_episode":
            return f"/v1/episodes/{params.get('episode_id', result.id)}"
        if "participant_id" in params or self.name == "register_participant":
            return f"/v1/participants/{params.get('participant_id', result.id)}"
        if "facility_id" in params or self.name == "register_facility":
            return f"/v1/facilities/{params.get('facility_id', result.id)}/occupancy"
        return f"/v1/programs/{params.get('program_id', result.id)}"


def fields(body: b.Body, **renamed: str) -> dict[str, Any]:
    """The body as keyword arguments, with some fields renamed for the Ledger."""
    values = body.model_dump()
    return {renamed.get(k, k): v for k, v in values.items()}


def advance_course(to: str) -> Run:
    """The course step to `to` (enrolled, completed, dropped)."""
    return lambda ledger, ctx, p, body: ledger.advance_course(
        ctx,
        p["episode_id"],
        p["course_id"],
        to=to,
        reason=body.reason or "",
        occurred_on=body.occurred_on,
    )


def answer_referral(answer: str) -> Run:
    """The referral's answer `answer` (accepted, declined, completed)."""
    return lambda ledger, ctx, p, body: ledger.answer_referral(
        ctx,
        p["episode_id"],
        p["referral_id"],
        answer=answer,
        reason=body.reason or "",
        occurred_on=body.occurred_on,
    )


def personal_data(body: b.ParticipantBody) -> dict[str, Any] | None:
    """The personal data given with a participant, if any, without the fields left out."""
    if body.personal_data is None:
        return None
    return body.personal_data.model_dump(exclude_none=True)


def authorize(
    principal: Principal, ledger: Ledger, command: Command, params: Params, body: Any
) -> None:
    """Refuse a caller whose role or programs do not allow this command on this target."""
    if command.scope == "admin":
        if not principal.has("admin"):
            raise ProblemError(403, "forbidden", "Only an admin may do this")
        return
    if not principal.has("caseworker", "supervisor"):
        raise ProblemError(403, "forbidden", "Only caseworkers and supervisors record this")
    programs: set[UUID] = set()
    if command.scope == "episode":
        programs = {ledger.program_of(params["episode_id"])}
    elif command.scope == "new_episode":
        programs = {body.program_id}
        _check_participant(principal, ledger, body.participant_id, opening=True)
    elif command.scope == "participant":
        _check_participant(principal, ledger, params["participant_id"], opening=False)
    if any(not principal.covers(program) for program in programs):
        raise ProblemError(403, "forbidden", "Not within your programs")


def _check_participant(
    principal: Principal, ledger: Ledger, participant_id: UUID, *, opening: bool
) -> None:
    """A command about a person needs the right to see them (api/record_routes.py), answered
    as if the person did not exist otherwise. One exception: any writer may open a first
    episode for a person in a program the writer covers, which is how a person joins one."""
    person = ledger.load(Participant, participant_id)
    if opening and not person.in_programs():
        return
    if not may_see_person(principal, person):
        raise unseen(participant_id)


def execute(
    ledger: Ledger, principal: Principal, command: Command, params: Params, body: Any, ctx: Context
) -> CommandResult:
    authorize(principal, ledger, command, params, body)
    return command.run(ledger, ctx, params, body)
