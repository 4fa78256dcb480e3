"""The commands on an episode: its life, its tracks (referrals, placements, courses, jobs), its
services and mentors, and voiding an entry."""

from __future__ import annotations

from api import bodies as b
from api.command import Command, advance_course, answer_referral, fields

EP = "/v1/episodes/{episode_id}"

DELIVER_SERVICE = Command(
    "deliver_service",
    EP + "/services",
    b.ServiceBody,
    "episode",
    lambda ledger, c, p, body: ledger.deliver_service(c, p["episode_id"], **fields(body)),
    "Record a delivered service",
)

EPISODE_COMMANDS: list[Command] = [
    Command(
        "close_episode",
        EP + "/close",
        b.CloseBody,
        "episode",
        lambda ledger, c, p, body: ledger.close_episode(c, p["episode_id"], **fields(body)),
        "Close an episode",
    ),
    Command(
        "assign_caseworker",
        EP + "/caseworker",
        b.CaseworkerBody,
        "episode",
        lambda ledger, c, p, body: ledger.assign_caseworker(c, p["episode_id"], **fields(body)),
        "Assign another caseworker",
    ),
    Command(
        "record_assessment",
        EP + "/assessments",
        b.AssessmentBody,
        "episode",
        lambda ledger, c, p, body: ledger.record_assessment(c, p["episode_id"], **fields(body)),
        "Record an intake, interim or final assessment",
    ),
    Command(
        "agree_plan",
        EP + "/plans",
        b.PlanBody,
        "episode",
        lambda ledger, c, p, body: ledger.agree_plan(c, p["episode_id"], **fields(body)),
        "Record an agreed plan",
    ),
    Command(
        "make_referral",
        EP + "/referrals",
        b.ReferralBody,
        "episode",
        lambda ledger, c, p, body: ledger.make_referral(c, p["episode_id"], **fields(body)),
        "Refer to a specialist",
    ),
    Command(
        "accept_referral",
        EP + "/referrals/{referral_id}/accept",
        b.AnswerBody,
        "episode",
        answer_referral("accepted"),
        "Record that a referral was accepted",
    ),
    Command(
        "decline_referral",
        EP + "/referrals/{referral_id}/decline",
        b.AnswerBody,
        "episode",
        answer_referral("declined"),
        "Record that a referral was declined (reason required)",
    ),
    Command(
        "complete_referral",
        EP + "/referrals/{referral_id}/complete",
        b.AnswerBody,
        "episode",
        answer_referral("completed"),
        "Record that a referral was completed",
    ),
    Command(
        "start_placement",
        EP + "/placements",
        b.PlacementBody,
        "episode",
        lambda ledger, c, p, body: ledger.start_placement(c, p["episode_id"], **fields(body)),
        "Place the participant in a free bed",
    ),
    Command(
        "end_placement",
        EP + "/placements/{placement_id}/end",
        b.PlacementEndBody,
        "episode",
        lambda ledger, c, p, body: ledger.end_placement(
            c, p["episode_id"], p["placement_id"], **fields(body)
        ),
        "End a placement, with where the person went",
    ),
    Command(
        "request_course",
        EP + "/courses",
        b.CourseBody,
        "episode",
        lambda ledger, c, p, body: ledger.request_course(
            c, p["episode_id"], **fields(body, format="course_format")
        ),
        "Request a course of 16, 36 or 72 hours",
    ),
    Command(
        "enrol_course",
        EP + "/courses/{course_id}/enrol",
        b.AnswerBody,
        "episode",
        advance_course("enrolled"),
        "Record the enrolment (the course started)",
    ),
    Command(
        "complete_course",
        EP + "/courses/{course_id}/complete",
        b.AnswerBody,
        "episode",
        advance_course("completed"),
        "Record that the course was completed",
    ),
    Command(
        "drop_course",
        EP + "/courses/{course_id}/drop",
        b.AnswerBody,
        "episode",
        advance_course("dropped"),
        "Record that the course was dropped (reason required)",
    ),
    Command(
        "start_job",
        EP + "/jobs",
        b.JobBody,
        "episode",
        lambda ledger, c, p, body: ledger.start_job(c, p["episode_id"], **fields(body)),
        "Record a job start",
    ),
    Command(
        "end_job",
        EP + "/jobs/{job_id}/end",
        b.JobEndBody,
        "episode",
        lambda ledger, c, p, body: ledger.end_job(c, p["episode_id"], p["job_id"], **fields(body)),
        "Record a job end",
    ),
    Command(
        "assign_mentor",
        EP + "/mentors",
        b.MentorBody,
        "episode",
        lambda ledger, c, p, body: ledger.assign_mentor(c, p["episode_id"], **fields(body)),
        "Assign a mentor (a pseudonymous reference)",
    ),
    Command(
        "void_entry",
        EP + "/entries/{event_id}/void",
        b.VoidBody,
        "episode",
        lambda ledger, c, p, body: ledger.void_entry(
            c, p["episode_id"], p["event_id"], **fields(body)
        ),
        "Void an entry made in error (history keeps both)",
    ),
]
