"""Facts the outcomes report counts whose commands are not on this branch yet, recorded through
the Ledger's own `execute`/`change` on the aggregates' methods (rules checked as in a command).

TODO(merge): the program and people helpers add the commands (`add_service`, `define_cohort`,
`link_participants`, `unlink_participants`, `void_participant_entry`) and their routes; switch
these to them (and the HTTP scenarios to `POST /v1/programs/{id}/services`, `.../cohorts`, ...).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.base import Actor, stamp
from domain.commands import CommandResult, Context, Decision
from domain.episode import Episode
from domain.ledger import Ledger
from domain.participant import Participant
from domain.program import Program
from domain.vocabulary import Indicator

ADMIN = Context(Actor("admin-1", "admin", "req-given"))


def add_service(
    ledger: Ledger, program: UUID, kind: str, indicator: str | None, on: date
) -> CommandResult:
    """The program adds a service of its own to its catalogue on the day `on`."""
    return ledger.change(
        ADMIN,
        Program,
        program,
        "add_service",
        {"program_id": program, "kind": kind, "indicator": indicator, "occurred_on": on},
        lambda p, today: p.add_service(
            kind, kind.replace("_", " "), "session", _indicator(indicator), on, ADMIN.actor, today
        ),
    )


def define_cohort(
    ledger: Ledger,
    program: UUID,
    indicator: str,
    prior_residence: list[str],
    target_groups: list[str] | None = None,
) -> CommandResult:
    """The program counts `indicator` only on participants matching these lists."""
    return ledger.change(
        ADMIN,
        Program,
        program,
        "define_cohort",
        {"program_id": program, "indicator": indicator},
        lambda p, today: p.define_cohort(
            Indicator(indicator),
            prior_residence,  # type: ignore[arg-type]
            target_groups or [],  # type: ignore[arg-type]
            "the assessor counts it on them",
            ADMIN.actor,
            today,
        ),
    )


def link(ledger: Ledger, one: UUID, other: UUID, *, undo: bool = False) -> CommandResult:
    """Record (or undo) that two records are one person, on both records at once."""

    def decide(today: date) -> Decision:
        a, b = ledger.load(Participant, one), ledger.load(Participant, other)
        for record, to in ((a, other), (b, one)):
            change = record.unlink if undo else record.link
            change(to, "the same SNILS on paper", ADMIN.actor, today)
        return Decision(one, a.version, (a, b))

    return ledger.execute(ADMIN, "unlink" if undo else "link", {"a": one, "b": other}, decide)


def void_participant_entry(ledger: Ledger, participant: UUID, entry: UUID) -> CommandResult:
    return ledger.change(
        ADMIN,
        Participant,
        participant,
        "void_participant_entry",
        {"participant_id": participant, "event_id": entry},
        lambda p, today: p.void_entry(entry, "recorded in error", ADMIN.actor, today),
    )


def deliver_catalogue_service(
    ledger: Ledger, episode: UUID, kind: str, quantity: int, on: date
) -> CommandResult:
    """A delivery of a program's own kind, as the program helper's deliver_service records it
    (on this branch the episode still takes built-in kinds only)."""

    def decide(today: date) -> Decision:
        record = ledger.load(Episode, episode)
        record.trigger_event(
            Episode.ServiceDelivered,
            kind=kind,
            quantity=quantity,
            settlement="Kopeysk",
            **stamp(ADMIN.actor, on),
        )
        return Decision(episode, record.version, (record,))

    return ledger.execute(ADMIN, "deliver_service", {"episode_id": episode, "kind": kind}, decide)


def _indicator(indicator: str | None) -> Indicator | None:
    return None if indicator is None else Indicator(indicator)
