"""Each row of the command table makes the Ledger call it names, with the path's ids and the
body's fields; no database needed (the Ledger's methods are only recorded, not run)."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any
from uuid import uuid4

from api import bodies as b
from api.command_table import COMMANDS, Call, Choice, Command
from domain.base import Actor
from domain.commands import Context
from domain.ledger import Ledger

BY_NAME = {command.name: command for command in COMMANDS}
CTX = Context(Actor("caseworker-1", "caseworker"))
DAY = date(2025, 3, 1)


class Recorded:
    """Stands in for the Ledger: remembers the one call made to it."""

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> str:
            self.call = (method, args, kwargs)
            return "result"

        return call


def called(name: str, body: b.Body, **params: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    ledger = Recorded()
    assert BY_NAME[name].run(ledger, CTX, params, body) == "result"  # type: ignore[arg-type]
    return ledger.call


def _calls(command: Command) -> list[tuple[Call, str | None]]:
    if isinstance(command.call, Choice):
        return [(call, command.call.field) for call in command.call.calls.values()]
    return [(command.call, None)]


def test_every_row_names_a_ledger_method_that_takes_its_ids_and_fields() -> None:
    for command in COMMANDS:
        for call, chosen in _calls(command):
            parameters = inspect.signature(getattr(Ledger, call.method)).parameters
            fields = [
                call.renamed.get(name, name)
                for name in command.body.model_fields
                if name not in call.omitted and name != chosen
            ]
            itself = next(iter(parameters))  # `self`, or `ledger` of a command function
            names = [itself, "ctx", *command.ids, *call.fixed, *fields]
            assert sorted(names) == sorted(parameters), command.name


def test_a_service_passes_the_episode_and_the_body_as_it_came() -> None:
    episode = uuid4()
    body = b.ServiceBody(kind="home_care", settlement="Bredy", occurred_on=DAY)
    assert called("deliver_service", body, episode_id=episode) == (
        "deliver_service",
        (CTX, episode),
        {"kind": "home_care", "quantity": 1, "settlement": "Bredy", "occurred_on": DAY},
    )


def test_an_answer_without_a_reason_passes_an_empty_one() -> None:
    episode, referral, course = uuid4(), uuid4(), uuid4()
    accepted = called(
        "accept_referral", b.AnswerBody(occurred_on=DAY), episode_id=episode, referral_id=referral
    )
    assert accepted == (
        "answer_referral",
        (CTX, episode, referral),
        {"answer": "accepted", "reason": "", "occurred_on": DAY},
    )
    dropped = called(
        "drop_course",
        b.AnswerBody(occurred_on=DAY, reason="moved away"),
        episode_id=episode,
        course_id=course,
    )
    assert dropped == (
        "advance_course",
        (CTX, episode, course),
        {"to": "dropped", "reason": "moved away", "occurred_on": DAY},
    )


def test_the_consent_action_picks_the_call_and_a_withdrawal_takes_no_document() -> None:
    person = uuid4()
    sent = {"scope": "data", "document_ref": "form-7", "occurred_on": DAY}
    recorded = called("consent", b.ConsentBody(**sent), participant_id=person)
    withdrawn = called("consent", b.ConsentBody(**sent, action="withdrawn"), participant_id=person)
    assert recorded == ("record_consent", (CTX, person), sent)
    assert withdrawn == ("withdraw_consent", (CTX, person), {"scope": "data", "occurred_on": DAY})


def test_personal_data_passes_only_the_fields_sent() -> None:
    body = b.ParticipantBody(
        target_groups=["elderly"],
        settlement="Bredy",
        birth_year=1970,
        prior_residence="parental_family",
        personal_data=b.PersonalDataBody(full_name="A. B."),
    )
    _, _, registered = called("register_participant", body)
    assert registered["personal_data"] == {"full_name": "A. B."}
    without = body.model_copy(update={"personal_data": None})
    assert called("register_participant", without)[2]["personal_data"] is None
    person = uuid4()
    correction = b.CorrectionBody(
        changes=b.PersonalDataChanges(phone="+7 900"), reason="typo", occurred_on=DAY
    )
    assert called("correct_personal_data", correction, participant_id=person) == (
        "correct_personal_data",
        (CTX, person),
        {"changes": {"phone": "+7 900"}, "reason": "typo", "occurred_on": DAY},
    )


def test_a_course_format_is_passed_as_the_course_format() -> None:
    episode = uuid4()
    body = b.CourseBody(title="Cooking", hours=16, format="distance", occurred_on=DAY)
    _, _, arguments = called("request_course", body, episode_id=episode)
    assert arguments["course_format"] == "distance"
    assert "format" not in arguments
