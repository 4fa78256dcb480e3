"""Every command of the HTTP contract: path, body, who may send it, and the Ledger call it makes.

Both the routes and `/v1/batch` are made from this table, so a command behaves the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from api import bodies as b
from domain.application import CommandResult, Context
from domain.ledger import Ledger

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

    def location(self, params: Params, result: CommandResult) -> str:
        """Where the created or changed resource can be read."""
        if "episode_id" in params or self.name == "open_episode":
            return f"/v1/episodes/{params.get('episode_id', result.id)}"
        if "participant_id" in params or self.name == "register_participant":
            return f"/v1/participants/{params.get('participant_id', result.id)}"
        if "facility_id" in params or self.name == "register_facility":
            return f"/v1/facilities/{params.get('facility_id', result.id)}/occupancy"
        return f"/v1/programs/{params.get('program_id', result.id)}"


def _fields(body: b.Body, **renamed: str) -> dict[str, Any]:
    """The body as keyword arguments, with some fields renamed for the Ledger."""
    values = body.model_dump()
    return {renamed.get(k, k): v for k, v in values.items()}


def _advance(to: str) -> Run:
    return lambda ledger, ctx, p, body: ledger.advance_course(
        ctx,
        p["episode_id"],
        p["course_id"],
        to=to,
        reason=body.reason or "",
        occurred_on=body.occurred_on,
    )


def _answer(answer: str) -> Run:
    return lambda ledger, ctx, p, body: ledger.answer_referral(
        ctx,
        p["episode_id"],
        p["referral_id"],
        answer=answer,
        reason=body.reason or "",
        occurred_on=body.occurred_on,
    )


def _personal_data(body: b.ParticipantBody) -> dict[str, Any] | None:
    if body.personal_data is None:
        return None
    return body.personal_data.model_dump(exclude_none=True)


EP = "/v1/episodes/{episode_id}"

COMMANDS: list[Command] = [
    Command(
        "define_program",
        "/v1/programs",
        b.ProgramBody,
        "admin",
        lambda ledger, c, p, body: ledger.define_program(c, **_fields(body)),
        "Define a program",
    ),
    Command(
        "revise_targets",
        "/v1/programs/{program_id}/targets",
        b.TargetsBody,
        "admin",
        lambda ledger, c, p, body: ledger.revise_targets(c, p["program_id"], **_fields(body)),
        "Revise a program's targets",
    ),
    Command(
        "register_facility",
        "/v1/facilities",
        b.FacilityBody,
        "admin",
        lambda ledger, c, p, body: ledger.register_facility(c, **_fields(body)),
        "Register a facility",
    ),
    Command(
        "change_capacity",
        "/v1/facilities/{facility_id}/capacity",
        b.CapacityBody,
        "admin",
        lambda ledger, c, p, body: ledger.change_capacity(c, p["facility_id"], **_fields(body)),
        "Change a facility's capacity from a date",
    ),
    Command(
        "register_participant",
        "/v1/participants",
        b.ParticipantBody,
        "writer",
        lambda ledger, c, p, body: ledger.register_participant(
            c,
            target_groups=body.target_groups,
            settlement=body.settlement,
            birth_year=body.birth_year,
            prior_residence=body.prior_residence,
            personal_data=_personal_data(body),
        ),
        "Register a participant (personal data kept in its own stream)",
    ),
    Command(
        "consent",
        "/v1/participants/{participant_id}/consents",
        b.ConsentBody,
        "participant",
        lambda ledger, c, p, body: (
            ledger.record_consent(
                c,
                p["participant_id"],
                scope=body.scope,
                document_ref=body.document_ref,
                occurred_on=body.occurred_on,
            )
            if body.action == "recorded"
            else ledger.withdraw_consent(
                c, p["participant_id"], scope=body.scope, occurred_on=body.occurred_on
            )
        ),
        "Record or withdraw a consent",
    ),
    Command(
        "institutional_event",
        "/v1/participants/{participant_id}/institutional-events",
        b.InstitutionalBody,
        "participant",
        lambda ledger, c, p, body: (
            ledger.withdraw_institutional_application
            if body.event == "application_withdrawn"
            else ledger.record_institutional_admission
        )(
            c,
            p["participant_id"],
            institution_kind=body.institution_kind,
            occurred_on=body.occurred_on,
        ),
        "Record a withdrawn application for, or an admission to, an institution",
    ),
    Command(
        "correct_personal_data",
        "/v1/participants/{participant_id}/personal-data/corrections",
        b.CorrectionBody,
        "participant",
        lambda ledger, c, p, body: ledger.correct_personal_data(
            c,
            p["participant_id"],
            changes=body.changes.model_dump(exclude_none=True),
            reason=body.reason,
            occurred_on=body.occurred_on,
        ),
        "Correct personal data",
    ),
    Command(
        "erase_participant",
        "/v1/participants/{participant_id}/erase",
        b.VoidBody,
        "admin",
        lambda ledger, c, p, body: ledger.erase_participant(
            c, p["participant_id"], reason=body.reason
        ),
        "Erase a participant's personal data for good (reason required); counts stay",
    ),
    Command(
        "open_episode",
        "/v1/episodes",
        b.EpisodeBody,
        "new_episode",
        lambda ledger, c, p, body: ledger.open_episode(c, **_fields(body)),
        "Open an episode (intake)",
    ),
    Command(
        "close_episode",
        EP + "/close",
        b.CloseBody,
        "episode",
        lambda ledger, c, p, body: ledger.close_episode(c, p["episode_id"], **_fields(body)),
        "Close an episode",
    ),
    Command(
        "assign_caseworker",
        EP + "/caseworker",
        b.CaseworkerBody,
        "episode",
        lambda ledger, c, p, body: ledger.assign_caseworker(c, p["episode_id"], **_fields(body)),
        "Assign another caseworker",
    ),
    Command(
        "record_assessment",
        EP + "/assessments",
        b.AssessmentBody,
        "episode",
        lambda ledger, c, p, body: ledger.record_assessment(c, p["episode_id"], **_fields(body)),
        "Record an intake, interim or final assessment",
    ),
    Command(
        "agree_plan",
        EP + "/plans",
        b.PlanBody,
        "episode",
        lambda ledger, c, p, body: ledger.agree_plan(c, p["episode_id"], **_fields(body)),
        "Record an agreed plan",
    ),
    Command(
        "make_referral",
        EP + "/referrals",
        b.ReferralBody,
        "episode",
        lambda ledger, c, p, body: ledger.make_referral(c, p["episode_id"], **_fields(body)),
        "Refer to a specialist",
    ),
    Command(
        "accept_referral",
        EP + "/referrals/{referral_id}/accept",
        b.AnswerBody,
        "episode",
        _answer("accepted"),
        "Record that a referral was accepted",
    ),
    Command(
        "decline_referral",
        EP + "/referrals/{referral_id}/decline",
        b.AnswerBody,
        "episode",
        _answer("declined"),
        "Record that a referral was declined (reason required)",
    ),
    Command(
        "complete_referral",
        EP + "/referrals/{referral_id}/complete",
        b.AnswerBody,
        "episode",
        _answer("completed"),
        "Record that a referral was completed",
    ),
    Command(
        "start_placement",
        EP + "/placements",
        b.PlacementBody,
        "episode",
        lambda ledger, c, p, body: ledger.start_placement(c, p["episode_id"], **_fields(body)),
        "Place the participant in a free bed",
    ),
    Command(
        "end_placement",
        EP + "/placements/{placement_id}/end",
        b.PlacementEndBody,
        "episode",
        lambda ledger, c, p, body: ledger.end_placement(
            c, p["episode_id"], p["placement_id"], **_fields(body)
        ),
        "End a placement, with where the person went",
    ),
    Command(
        "request_course",
        EP + "/courses",
        b.CourseBody,
        "episode",
        lambda ledger, c, p, body: ledger.request_course(
            c, p["episode_id"], **_fields(body, format="course_format")
        ),
        "Request a course of 16, 36 or 72 hours",
    ),
    Command(
        "enrol_course",
        EP + "/courses/{course_id}/enrol",
        b.AnswerBody,
        "episode",
        _advance("enrolled"),
        "Record the enrolment (the course started)",
    ),
    Command(
        "complete_course",
        EP + "/courses/{course_id}/complete",
        b.AnswerBody,
        "episode",
        _advance("completed"),
        "Record that the course was completed",
    ),
    Command(
        "drop_course",
        EP + "/courses/{course_id}/drop",
        b.AnswerBody,
        "episode",
        _advance("dropped"),
        "Record that the course was dropped (reason required)",
    ),
    Command(
        "start_job",
        EP + "/jobs",
        b.JobBody,
        "episode",
        lambda ledger, c, p, body: ledger.start_job(c, p["episode_id"], **_fields(body)),
        "Record a job start",
    ),
    Command(
        "end_job",
        EP + "/jobs/{job_id}/end",
        b.JobEndBody,
        "episode",
        lambda ledger, c, p, body: ledger.end_job(c, p["episode_id"], p["job_id"], **_fields(body)),
        "Record a job end",
    ),
    Command(
        "deliver_service",
        EP + "/services",
        b.ServiceBody,
        "episode",
        lambda ledger, c, p, body: ledger.deliver_service(c, p["episode_id"], **_fields(body)),
        "Record a delivered service",
    ),
    Command(
        "assign_mentor",
        EP + "/mentors",
        b.MentorBody,
        "episode",
        lambda ledger, c, p, body: ledger.assign_mentor(c, p["episode_id"], **_fields(body)),
        "Assign a mentor (a pseudonymous reference)",
    ),
    Command(
        "void_entry",
        EP + "/entries/{event_id}/void",
        b.VoidBody,
        "episode",
        lambda ledger, c, p, body: ledger.void_entry(
            c, p["episode_id"], p["event_id"], **_fields(body)
        ),
        "Void an entry made in error (history keeps both)",
    ),
]
