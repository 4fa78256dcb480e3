"""Every command of the HTTP contract, in the order routes are matched.

Both the routes and `/v1/batch` are made from this table, so a command behaves the same either way.
Routes are tried in order, so the command sent most (a delivered service: ~320 a person a year in
the rural program) comes first; the episode's commands are in `api/episode_command_table.py`.
"""

from __future__ import annotations

from api import bodies as b
from api.command import Command, fields, personal_data
from api.episode_command_table import DELIVER_SERVICE, EPISODE_COMMANDS

COMMANDS: list[Command] = [
    DELIVER_SERVICE,
    Command(
        "define_program",
        "/v1/programs",
        b.ProgramBody,
        "admin",
        lambda ledger, c, p, body: ledger.define_program(c, **fields(body)),
        "Define a program",
    ),
    Command(
        "revise_targets",
        "/v1/programs/{program_id}/targets",
        b.TargetsBody,
        "admin",
        lambda ledger, c, p, body: ledger.revise_targets(c, p["program_id"], **fields(body)),
        "Revise a program's targets",
    ),
    Command(
        "register_facility",
        "/v1/facilities",
        b.FacilityBody,
        "admin",
        lambda ledger, c, p, body: ledger.register_facility(c, **fields(body)),
        "Register a facility",
    ),
    Command(
        "change_capacity",
        "/v1/facilities/{facility_id}/capacity",
        b.CapacityBody,
        "admin",
        lambda ledger, c, p, body: ledger.change_capacity(c, p["facility_id"], **fields(body)),
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
            personal_data=personal_data(body),
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
        lambda ledger, c, p, body: ledger.open_episode(c, **fields(body)),
        "Open an episode (intake)",
    ),
    *EPISODE_COMMANDS,
]
