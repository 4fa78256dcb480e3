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
from domain.claim import Claim
from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from domain.personal_data import DuplicatePersonError

WRITERS = ("caseworker", "supervisor")
# Who reads participants and episodes, and who reads the read models of case work.
RECORD_READERS = ("admin", "caseworker", "supervisor", "auditor")
CASE_STAFF = ("caseworker", "supervisor", "auditor", "admin")
AUDITORS = ("auditor", "admin")


# What each role is for, said in a refusal so that the caller knows what the role may do.
ROLE_HINTS = {
    "analyst": "Analysts read aggregate reports only: GET /v1/reports/outcomes,"
    " /v1/reports/services, /v1/programs/{id}/outcome-status and /v1/occupancy, of the"
    " programs their token covers",
    "auditor": "Auditors read records (personal data with a reason) and the audit; they record"
    " nothing",
    "assessor": "Assessors read the claims of the programs their token covers and judge them:"
    " POST /v1/claims/{claim_id}/judgements and /decision; they record no case data",
}
# Who reads a claim: who submits it, who audits or judges it.
CLAIM_READERS = ("supervisor", "auditor", "assessor", "admin")


def _forbidden(principal: Principal, title: str) -> ProblemError:
    """A 403 that names the caller's role and what it may do, when that is what refused it."""
    hints = [ROLE_HINTS[role] for role in sorted(principal.roles) if role in ROLE_HINTS]
    roles = ", ".join(sorted(principal.roles)) or "none"
    detail = f"Your role: {roles}." + "".join(f" {hint}." for hint in hints)
    return ProblemError(403, "forbidden", title, detail)


def require(principal: Principal, *roles: str) -> None:
    if not principal.has(*roles):
        raise _forbidden(principal, f"This needs one of the roles {', '.join(roles)}")


def _not_yours() -> ProblemError:
    return ProblemError(403, "forbidden", "Not within your programs")


# Commands


def check_command(
    principal: Principal, ledger: Ledger, command: Command, params: Params, body: Any
) -> None:
    """Refuse a caller whose role or programs do not allow this command on this target."""
    if command.who == "admin":
        if not principal.has("admin"):
            raise _forbidden(principal, "Only an admin may do this")
        return
    if command.who == "link":
        _check_linking(principal, ledger, params, body)
        return
    if command.who == "assessor":
        _check_judging(principal, ledger.load(Claim, params["claim_id"]))
        return
    if not principal.has(*WRITERS):
        raise _forbidden(principal, "Only caseworkers and supervisors record this")
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
    for field in OTHER_PERSON_FIELDS:
        named = getattr(body, field, None)
        if named is not None:
            _check_acting_on(principal, ledger, named, opening=False)


# Body fields naming a person other than the one acted on (a mentor who is a participant):
# naming them needs the right to see them, and one the caller may not see is not found.
OTHER_PERSON_FIELDS = ("mentor_participant_id",)


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


def _check_linking(principal: Principal, ledger: Ledger, params: Params, body: Any) -> None:
    """Two records are one person on a supervisor's or an admin's word, who must be able to see
    both: a record the caller may not see is not found, as an unknown id is."""
    if not principal.has("supervisor", "admin"):
        raise ProblemError(
            403, "forbidden", "Only a supervisor or an admin links records of one person"
        )
    for person in (params["participant_id"], params.get("other_id") or body.other_id):
        check_person(principal, ledger.load(Participant, person))


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
        raise _forbidden(principal, "Your role reads no participant or episode")


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


def shows_history_line(principal: Principal, ledger: Ledger, event: Any) -> bool:
    """A line of a person's history, unless it says that they joined a program the caller may
    not read (whose episode the history leaves out too), or names a record linked to theirs
    that the caller may not see."""
    if isinstance(event, Participant.Linked | Participant.Unlinked):
        return bool(seen_people(principal, ledger, [event.other_id]))
    return not isinstance(event, Participant.JoinedProgram) or may_read(
        principal, {event.program_id}
    )


def seen_people(principal: Principal, ledger: Ledger, ids: Sequence[UUID]) -> list[UUID]:
    """Those of these people the caller may see (an id no longer known is left out too)."""
    seen = []
    for participant_id in ids:
        try:
            person = ledger.load(Participant, participant_id)
        except NotFoundError:
            continue
        if may_see_person(principal, person):
            seen.append(participant_id)
    return seen


# Lookups: programs, facilities, lists of episodes


def programs_shown(principal: Principal) -> frozenset[UUID] | None:
    """The programs whose entries a caller may look up: admins every one (None), anyone else
    those their token names."""
    return None if principal.has("admin") or principal.all_programs else principal.programs


def check_program(principal: Principal, program_id: UUID) -> None:
    """Any role reads a program it covers (admins any), as a report of it (`check_report`)."""
    if not _covers(principal, program_id):
        raise _not_yours()


def check_facilities(principal: Principal, program: UUID | None = None) -> None:
    """Facilities and their free beds: whoever reads occupancy; a program asked for, if theirs."""
    check_occupancy(principal)
    if program is not None:
        check_program(principal, program)


def shows_facility(principal: Principal, programs: Sequence[str]) -> bool:
    """A facility shared by every program (none named), or serving one the caller covers."""
    return not programs or any(_covers(principal, UUID(p)) for p in programs)


def check_facility(principal: Principal, programs: Sequence[str]) -> None:
    if not shows_facility(principal, programs):
        raise _not_yours()


def check_episode_list(principal: Principal, program: UUID | None) -> frozenset[UUID] | None:
    """Listing episodes is reading them: record readers, a program asked for if they may read
    it. Answers the programs the list is kept to (None: any)."""
    check_record_reader(principal)
    if program is not None and not may_read(principal, {program}):
        raise _not_yours()
    return programs_shown(principal)


# Read models


def check_caseload(principal: Principal, caseworker: str) -> None:
    """Case staff read caseloads; a caseworker only their own."""
    require(principal, *CASE_STAFF)
    only_caseworker = not principal.has("supervisor", "auditor", "admin")
    if only_caseworker and caseworker != principal.subject:
        raise _forbidden(principal, "Caseworkers read their own caseload")


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


def check_outcome_people(principal: Principal, program: UUID) -> None:
    """Who an outcome's statuses stand for, person by person: whoever sees who a report's
    counts stand for (`shows_evidence`), in a program they read reports of."""
    check_report(principal, program)
    if not shows_evidence(principal):
        raise _forbidden(principal, "Your role reads outcome counts, not whom they stand for")


def _covers(principal: Principal, program: UUID) -> bool:
    return principal.covers(program) or principal.has("admin")


# Audit


def check_auditor(principal: Principal) -> None:
    """The audit chain and its checkpoints: auditors and admins."""
    require(principal, *AUDITORS)


def check_access_log_reader(principal: Principal) -> None:
    """Who read whom: admins and auditors (named in this order in the refusal)."""
    require(principal, "admin", "auditor")


# Claims


def check_claim_submitter(principal: Principal, program_id: UUID) -> None:
    """A claim is a supervisor's, for a program the supervisor covers."""
    if not principal.has("supervisor"):
        raise _forbidden(principal, "Only a supervisor submits a claim")
    if not principal.covers(program_id):
        raise _not_yours()


def _check_judging(principal: Principal, claim: Claim) -> None:
    if not principal.has("assessor"):
        raise _forbidden(principal, "Only an assessor judges a claim")
    if not principal.covers(claim.program_id):
        raise _not_yours()


def check_claim_reader(principal: Principal, claim: Claim) -> None:
    require(principal, *CLAIM_READERS)
    if not principal.has("admin") and not principal.covers(claim.program_id):
        raise _not_yours()
