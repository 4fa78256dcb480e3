"""Who may do what: send a command, see a person, read a record, a read model or the audit.

Every authorization rule of the API is here; the routes ask, and keep no rule of their own.
A refusal is a 403 problem, except for a person the caller may not see, who is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from api.auth import Principal
from api.command_table import Command, Params
from api.problems import ProblemError
from domain.base import NotFoundError
from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from domain.personal_data import DuplicatePersonError

WRITERS = ("caseworker", "supervisor")
# Who reads participants and episodes, and who reads the read models of case work.
RECORD_READERS = ("admin", "caseworker", "supervisor", "auditor")
CASE_STAFF = ("caseworker", "supervisor", "auditor", "admin")
AUDITORS = ("auditor", "admin")


def require(principal: Principal, *roles: str) -> None:
    if not principal.has(*roles):
        raise ProblemError(403, "forbidden", f"This needs one of the roles {', '.join(roles)}")


def _not_yours() -> ProblemError:
    return ProblemError(403, "forbidden", "Not within your programs")


# Commands


def check_command(
    principal: Principal, ledger: Ledger, command: Command, params: Params, body: Any
) -> None:
    """Refuse a caller whose role or programs do not allow this command on this target."""
    if command.who == "admin":
        if not principal.has("admin"):
            raise ProblemError(403, "forbidden", "Only an admin may do this")
        return
    if not principal.has(*WRITERS):
        raise ProblemError(403, "forbidden", "Only caseworkers and supervisors record this")
    programs: set[UUID] = set()
    if command.who == "episode":
        programs = {ledger.program_of(params["episode_id"])}
    elif command.who == "new_episode":
        programs = {body.program_id}
        _check_acting_on(principal, ledger, body.participant_id, opening=True)
    elif command.who == "participant":
        _check_acting_on(principal, ledger, params["participant_id"], opening=False)
    if any(not principal.covers(program) for program in programs):
        raise _not_yours()


def _check_acting_on(
    principal: Principal, ledger: Ledger, participant_id: UUID, *, opening: bool
) -> None:
    """A command about a person needs the right to see them, and is answered as if the person
    did not exist otherwise. One exception: any writer may open a first episode for a person in
    a program the writer covers, which is how a person joins one."""
    person = ledger.load(Participant, participant_id)
    if opening and not person.in_programs():
        return
    check_person(principal, person)


# Participants and episodes


def may_read(principal: Principal, programs: set[UUID]) -> bool:
    """Whether the caller may read a record of these programs: admins any, caseworkers,
    supervisors and auditors one of a program they cover, nobody else."""
    if principal.has("admin"):
        return True
    if not principal.has(*RECORD_READERS):
        return False
    return any(principal.covers(program) for program in programs)


def check_record_reader(principal: Principal) -> None:
    """Refuse a role that reads no records before loading anything, so that its answer is the
    same whether the id exists or not."""
    if not principal.has(*RECORD_READERS):
        raise ProblemError(403, "forbidden", "Your role reads no participant or episode")


def check_episode(principal: Principal, episode: Episode) -> None:
    if not may_read(principal, {episode.program_id}):
        raise _not_yours()


def may_see_person(principal: Principal, person: Participant) -> bool:
    """Whether the caller may see this person at all, masked or not, and act on them.

    Once the person has an episode, its program decides (`may_read`). Before, nobody has taken
    the person in, so nobody but the writer who registered them (and admins) needs to know that
    they exist: not a caseworker, supervisor or auditor of any program, since the person is in
    none. Any writer may still open an episode for them in a program the writer covers
    (`check_command`), which is how a person joins a program."""
    programs = person.in_programs()
    if programs or principal.has("admin"):
        return may_read(principal, programs)
    return principal.subject == person.registered_by and principal.has(*WRITERS)


def duplicate_shown(
    principal: Principal, ledger: Ledger, error: DuplicatePersonError
) -> DuplicatePersonError:
    """A refused duplicate names the person already registered only to a caller who may see
    them; to anyone else it is the same refusal, naming nobody."""
    if error.existing_id is None:
        return error
    try:
        person = ledger.load(Participant, error.existing_id)
    except NotFoundError:  # a registration racing this one, not saved yet
        return error.unnamed()
    return error if may_see_person(principal, person) else error.unnamed()


# Finding people


def check_searcher(principal: Principal) -> None:
    """Who searches for people: those who read participants (analysts read aggregates only)."""
    require(principal, *RECORD_READERS)


def check_lookalike_reader(principal: Principal) -> None:
    """Who reviews people who may be recorded twice: supervisors and admins."""
    require(principal, "supervisor", "admin")


def check_person(principal: Principal, person: Participant) -> None:
    if not may_see_person(principal, person):
        raise unseen(person.id)


def unseen(participant_id: UUID) -> NotFoundError:
    """The answer about a person the caller may not see: the very one about an unknown id,
    so that it does not tell an outsider that the person exists."""
    return NotFoundError(f"no participant {participant_id}")


def shows_personal_data(principal: Principal, person: Participant, reason: str | None) -> bool:
    """Need to know: caseworkers of a program the person has an episode in, and the writer who
    registered a person not yet in any program; auditors and admins only when they give a
    reason (which is recorded); analysts never."""
    if principal.has(*WRITERS):
        programs = person.in_programs()
        if any(principal.covers(p) for p in programs):
            return True
        if not programs and principal.subject == person.registered_by:
            return True
    return bool(reason) and principal.has("auditor", "admin")


def readable_episodes(principal: Principal, episodes: dict[str, Any]) -> dict[str, Any]:
    """A person's episodes by program, those of programs the caller may not read left out."""
    return {
        program: ids for program, ids in episodes.items() if may_read(principal, {UUID(program)})
    }


def shows_history_line(principal: Principal, event: Any) -> bool:
    """A line of a person's history, unless it says that they joined a program the caller may
    not read (whose episode the history leaves out too)."""
    return not isinstance(event, Participant.JoinedProgram) or may_read(
        principal, {event.program_id}
    )


# Read models


def check_caseload(principal: Principal, caseworker: str) -> None:
    """Case staff read caseloads; a caseworker only their own."""
    require(principal, *CASE_STAFF)
    only_caseworker = not principal.has("supervisor", "auditor", "admin")
    if only_caseworker and caseworker != principal.subject:
        raise ProblemError(403, "forbidden", "Caseworkers read their own caseload")


def caseload_shown(
    principal: Principal, episodes: Sequence[Any], overdue: Sequence[Any]
) -> tuple[list[Any], list[Any]]:
    """The caseload's episodes in the caller's programs, and what of those is overdue."""
    mine = [e for e in episodes if _covers(principal, UUID(e.program_id))]
    visible = {e.episode_id for e in mine}
    return mine, [o for o in overdue if o.episode_id in visible or principal.has("admin")]


def check_occupancy(principal: Principal) -> None:
    require(principal, *CASE_STAFF, "analyst")


def shows_residents(principal: Principal) -> bool:
    """Who is in which bed: case staff only, not analysts."""
    return principal.has(*CASE_STAFF)


def check_report(principal: Principal, program: UUID) -> None:
    """Case staff and analysts read the reports of programs they cover (admins of any)."""
    require(principal, *CASE_STAFF, "analyst")
    if not _covers(principal, program):
        raise _not_yours()


def shows_evidence(principal: Principal) -> bool:
    """Which participants a count stands for: not for an analyst, who reads aggregates only."""
    return not (principal.has("analyst") and not principal.has(*CASE_STAFF))


def _covers(principal: Principal, program: UUID) -> bool:
    return principal.covers(program) or principal.has("admin")


# Audit


def check_auditor(principal: Principal) -> None:
    """The audit chain and its checkpoints: auditors and admins."""
    require(principal, *AUDITORS)


def check_access_log_reader(principal: Principal) -> None:
    """Who read whom: admins and auditors (named in this order in the refusal)."""
    require(principal, "admin", "auditor")
