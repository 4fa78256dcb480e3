"""Every command of the HTTP contract: path, body, who may send it, the Ledger call, summary.

The table is data: `api/command_routes.py` serves and documents its rows, `api/batch.py` runs
them in a batch and `api/bulk_import.py` from a file, so a command behaves the same every way;
who may send one is decided in `api/policy.py`. Paths are matched in order, so the command sent
most (a delivered service: ~320 a person a year in the rural program) comes first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from api import bodies as b
from api import outcome_bodies as ob
from domain.commands import CommandResult, Context
from domain.ledger import Ledger

Params = dict[str, UUID]
# Who may send it (api/policy.py): admin: admins. writer: caseworkers and supervisors. episode,
# participant, new_episode: a writer whose programs cover the episode's program, who may see
# the participant, or who covers the program of the episode the body opens. link: a supervisor
# or an admin who may see both records (the path's participant and `other_id`).
Who = Literal["admin", "writer", "episode", "participant", "new_episode", "link", "assessor"]


@dataclass(frozen=True)
class Call:
    """A Ledger method, called with the path's ids in order and the body's fields as keywords.

    A field that is itself a body (personal data), or a list of bodies (a program's services), is
    passed as the fields it was sent with."""

    method: str
    # Keywords the command implies (which answer to a referral), beside the body's.
    fixed: Mapping[str, object] = field(default_factory=dict)
    # A body field passed under another name.
    renamed: Mapping[str, str] = field(default_factory=dict)
    # Body fields this method does not take.
    omitted: tuple[str, ...] = ()
    # What an optional field left out is passed as.
    none_as: Mapping[str, object] = field(default_factory=dict)

    def arguments(self, body: b.Body, skip: str | None = None) -> dict[str, Any]:
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
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            return [item.model_dump(exclude_none=True) for item in value]
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
    body: type[b.Body]
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

    def run(self, ledger: Ledger, ctx: Context, params: Params, body: b.Body) -> CommandResult:
        """Make the Ledger call of this command (whoever sends it was authorized before)."""
        if isinstance(body, b.Dated) and body.occurred_on is None:
            # Left out, a date is today's; its fingerprint holds it as left out (domain/ledger.py).
            body = body.model_copy(update={"occurred_on": ledger.clock()})
            ctx = replace(ctx, defaulted=ctx.defaulted | {"occurred_on"})
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
            return f"/v1/facilities/{params.get('facility_id', result.id)}"
        if "claim_id" in params:
            return f"/v1/claims/{params['claim_id']}"
        return f"/v1/programs/{params.get('program_id', result.id)}"


EP = "/v1/episodes/{episode_id}"
# An answer to a referral or a course step: the reason may be left out.
NO_REASON = {"reason": ""}


def _referral(answer: str) -> Call:
    return Call("answer_referral", fixed={"answer": answer}, none_as=NO_REASON)


def _course(to: str) -> Call:
    return Call("advance_course", fixed={"to": to}, none_as=NO_REASON)


# A row to a few lines, read as a table.
# fmt: off
COMMANDS: list[Command] = [
    Command(
        "deliver_service", EP + "/services", b.ServiceBody, "episode",
        Call("deliver_service"),
        "Record a delivered service, of a built-in kind or of the program's catalogue",
    ),
    Command(
        "define_program", "/v1/programs", b.ProgramBody, "admin",
        Call("define_program"), "Define a program",
    ),
    Command(
        "revise_targets", "/v1/programs/{program_id}/targets", b.TargetsBody, "admin",
        Call("revise_targets"), "Revise a program's targets",
    ),
    Command(
        "add_service", "/v1/programs/{program_id}/services", b.CatalogueServiceBody, "admin",
        Call("add_service"),
        "Add a service of the program's own to its catalogue (kind, unit, indicator it feeds)",
    ),
    Command(
        "define_cohort", "/v1/programs/{program_id}/cohorts", b.CohortBody, "admin",
        Call("define_cohort"),
        "Define (or replace) the cohort an indicator is counted on",
    ),
    Command(
        "define_outcome", "/v1/programs/{program_id}/outcome-definitions",
        ob.OutcomeDefinitionBody, "admin", Call("define_outcome"),
        "Define an outcome the program reports and may pay for, or its next version",
    ),
    Command(
        "judge_claim_line", "/v1/claims/{claim_id}/judgements", ob.JudgementBody, "assessor",
        Call("judge_claim_line"), "Mark a line of a claim verified or disputed (assessors)",
    ),
    Command(
        "decide_claim", "/v1/claims/{claim_id}/decision", ob.DecisionBody, "assessor",
        Call("decide_claim"), "Accept or reject a claim whose lines are all judged (assessors)",
    ),
    Command(
        "register_facility", "/v1/facilities", b.FacilityBody, "admin",
        Call("register_facility"), "Register a facility",
    ),
    Command(
        "change_capacity", "/v1/facilities/{facility_id}/capacity", b.CapacityBody, "admin",
        Call("change_capacity"), "Change a facility's capacity from a date",
    ),
    Command(
        "register_participant", "/v1/participants", b.ParticipantBody, "writer",
        Call("register_participant"),
        "Register a participant (personal data kept in its own stream)",
    ),
    Command(
        "consent", "/v1/participants/{participant_id}/consents", b.ConsentBody, "participant",
        Choice("action", {
            "recorded": Call("record_consent"),
            "withdrawn": Call("withdraw_consent", omitted=("document_ref",)),
        }),
        "Record or withdraw a consent",
    ),
    Command(
        "institutional_event", "/v1/participants/{participant_id}/institutional-events",
        b.InstitutionalBody, "participant",
        Choice("event", {
            "application_withdrawn": Call("withdraw_institutional_application"),
            "admission": Call("record_institutional_admission"),
        }),
        "Record a withdrawn application for, or an admission to, an institution",
    ),
    Command(
        "correct_personal_data", "/v1/participants/{participant_id}/personal-data/corrections",
        b.CorrectionBody, "participant",
        Call("correct_personal_data"), "Correct personal data",
    ),
    Command(
        "erase_participant", "/v1/participants/{participant_id}/erase", b.VoidBody, "admin",
        Call("erase_participant"),
        "Erase a participant's personal data for good (reason required); counts stay",
    ),
    Command(
        "link_participants", "/v1/participants/{participant_id}/links", b.LinkBody, "link",
        Call("link_participants"),
        "Link two records found to be one person (both records say so; reason required)",
    ),
    Command(
        "unlink_participants", "/v1/participants/{participant_id}/links/{other_id}/unlink",
        b.VoidBody, "link",
        Call("unlink_participants"), "Undo a link made in error (on both records; reason required)",
    ),
    Command(
        "void_participant_entry", "/v1/participants/{participant_id}/entries/{event_id}/void",
        b.VoidBody, "participant",
        Call("void_participant_entry"),
        "Void a consent or an institutional fact recorded in error (history keeps both)",
    ),
    Command(
        "open_episode", "/v1/episodes", b.EpisodeBody, "new_episode",
        Call("open_episode"), "Open an episode (intake)",
    ),
    Command(
        "close_episode", EP + "/close", b.CloseBody, "episode",
        Call("close_episode"), "Close an episode",
    ),
    Command(
        "assign_caseworker", EP + "/caseworker", b.CaseworkerBody, "episode",
        Call("assign_caseworker"), "Assign another caseworker",
    ),
    Command(
        "record_assessment", EP + "/assessments", b.AssessmentBody, "episode",
        Call("record_assessment"), "Record an intake, interim or final assessment",
    ),
    Command(
        "agree_plan", EP + "/plans", b.PlanBody, "episode",
        Call("agree_plan"), "Record an agreed plan",
    ),
    Command(
        "make_referral", EP + "/referrals", b.ReferralBody, "episode",
        Call("make_referral"), "Refer to a specialist",
    ),
    Command(
        "accept_referral", EP + "/referrals/{referral_id}/accept", b.AnswerBody, "episode",
        _referral("accepted"), "Record that a referral was accepted",
    ),
    Command(
        "decline_referral", EP + "/referrals/{referral_id}/decline", b.AnswerBody, "episode",
        _referral("declined"), "Record that a referral was declined (reason required)",
    ),
    Command(
        "complete_referral", EP + "/referrals/{referral_id}/complete", b.AnswerBody, "episode",
        _referral("completed"), "Record that a referral was completed",
    ),
    Command(
        "start_placement", EP + "/placements", b.PlacementBody, "episode",
        Call("start_placement"), "Place the participant in a free bed",
    ),
    Command(
        "end_placement", EP + "/placements/{placement_id}/end", b.PlacementEndBody, "episode",
        Call("end_placement"), "End a placement, with where the person went",
    ),
    Command(
        "request_course", EP + "/courses", b.CourseBody, "episode",
        Call("request_course", renamed={"format": "course_format"}),
        "Request a course of 16, 36 or 72 hours",
    ),
    Command(
        "enrol_course", EP + "/courses/{course_id}/enrol", b.AnswerBody, "episode",
        _course("enrolled"), "Record the enrolment (the course started)",
    ),
    Command(
        "complete_course", EP + "/courses/{course_id}/complete", b.AnswerBody, "episode",
        _course("completed"), "Record that the course was completed",
    ),
    Command(
        "drop_course", EP + "/courses/{course_id}/drop", b.AnswerBody, "episode",
        _course("dropped"), "Record that the course was dropped (reason required)",
    ),
    Command(
        "start_job", EP + "/jobs", b.JobBody, "episode",
        Call("start_job"), "Record a job start",
    ),
    Command(
        "end_job", EP + "/jobs/{job_id}/end", b.JobEndBody, "episode",
        Call("end_job"), "Record a job end",
    ),
    Command(
        "assign_mentor", EP + "/mentors", b.MentorBody, "episode",
        Call("assign_mentor"),
        "Assign a mentor: a participant (mentor_participant_id) or staff (mentor_staff)",
    ),
    Command(
        "void_entry", EP + "/entries/{event_id}/void", b.VoidBody, "episode",
        Call("void_entry"), "Void an entry made in error (history keeps both)",
    ),
]
# fmt: on
