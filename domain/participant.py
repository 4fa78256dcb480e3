"""A participant: who the ledger serves, described without any personal data."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.base import (
    Actor,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    NotFoundError,
    check_occurred_on,
    non_empty,
    one_of,
    stable_topics,
    stamp,
)
from domain.tracks import entry_id
from domain.vocabulary import InstitutionKind, Residence, TargetGroup

EARLIEST_BIRTH_YEAR = 1900


class ParticipantErasedError(DomainError):
    """The participant was erased: nothing more can be recorded about them."""

    rule = "participant_erased"


class LinkError(DomainError):
    """Two records can be linked once, only to another record, and unlinked only if linked."""

    rule = "link_not_allowed"


class EntryNotVoidableError(DomainError):
    """Only a consent or an institutional fact of the person can be voided, and only once."""

    rule = "entry_not_voidable"


class ConsentRequiredError(DomainError):
    """Opening an episode needs the participant's consent on record."""

    rule = "consent_required"


@stable_topics("Participant")
class Participant(LedgerAggregate):
    """A person taken into a program: target groups, settlement, birth year, prior residence."""

    def __init__(
        self, target_groups: list[str], settlement: str, birth_year: int, prior_residence: str
    ) -> None:
        self.target_groups = target_groups
        self.settlement = settlement
        self.birth_year = birth_year
        self.prior_residence = prior_residence
        self.consents: list[str] = []
        self.erased = False
        self.registered_by = ""  # the Registered event's stamp sets it
        # (program id, episode id), both hex, in the order the person's episodes were opened
        self.joined: list[tuple[str, str]] = []
        # Other records found to be the same person, in the order they were linked.
        self.linked: list[UUID] = []
        # Version -> consent scope (None: an institutional fact) of the entries that can be voided.
        self.voidable: dict[int, str | None] = {}
        self.voided: list[int] = []
        # (version, scope, recorded or withdrawn) of every consent entry: voiding one replays the
        # others, so a consent recorded, withdrawn and recorded again is what the latter says.
        self.consent_entries: list[tuple[int, str, bool]] = []

    class Registered(LedgerAggregate.Created):
        target_groups: list[str]
        settlement: str
        birth_year: int
        prior_residence: str

        def apply(self, aggregate: Any) -> None:
            # Until the person joins a program, their record is the registering subject's alone.
            aggregate.registered_by = self.recorded_by

    class ConsentRecorded(LedgerAggregate.Event):
        scope: str
        document_ref: str

        def apply(self, aggregate: Any) -> None:
            aggregate.voidable[self.originator_version] = self.scope
            aggregate.consent_entries.append((self.originator_version, self.scope, True))
            if self.scope not in aggregate.consents:
                aggregate.consents.append(self.scope)

    class ConsentWithdrawn(LedgerAggregate.Event):
        scope: str

        def apply(self, aggregate: Any) -> None:
            aggregate.consent_entries.append((self.originator_version, self.scope, False))
            aggregate.consents.remove(self.scope)

    class InstitutionalApplicationWithdrawn(LedgerAggregate.Event):
        institution_kind: str

        def apply(self, aggregate: Any) -> None:
            aggregate.voidable[self.originator_version] = None

    class InstitutionalAdmission(LedgerAggregate.Event):
        institution_kind: str

        def apply(self, aggregate: Any) -> None:
            aggregate.voidable[self.originator_version] = None

    class Linked(LedgerAggregate.Event):
        """This record and `other_id` are one person (recorded on both records at once)."""

        other_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.linked.append(self.other_id)

    class Unlinked(LedgerAggregate.Event):
        """A link made in error is undone (recorded on both records at once)."""

        other_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.linked.remove(self.other_id)

    class EntryVoided(LedgerAggregate.Event):
        """A consent or institutional fact was recorded in error: history keeps both."""

        event_id: UUID
        reason: str

        def apply(self, aggregate: Any) -> None:
            version = aggregate.entry_version(self.event_id)
            scope = aggregate.voidable.pop(version)
            aggregate.voided.append(version)
            if scope is not None:
                aggregate.consents = aggregate.standing_consents()

    class JoinedProgram(LedgerAggregate.Event):
        program_id: UUID
        episode_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.joined.append((self.program_id.hex, self.episode_id.hex))

    class Erased(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.erased = True

    @classmethod
    def register(
        cls,
        *,
        target_groups: list[TargetGroup],
        settlement: str,
        birth_year: int,
        prior_residence: Residence,
        by: Actor,
        today: date,
    ) -> Participant:
        if not target_groups:
            raise InvalidValueError("a participant belongs to at least one target group")
        if not settlement.strip():
            raise InvalidValueError("settlement is required")
        if not EARLIEST_BIRTH_YEAR <= birth_year <= today.year:
            raise InvalidValueError(f"birth_year {birth_year} is not plausible")
        return cls._create(
            cls.Registered,
            target_groups=sorted({one_of(TargetGroup, group) for group in target_groups}),
            settlement=settlement.strip(),
            birth_year=birth_year,
            prior_residence=one_of(Residence, prior_residence),
            **stamp(by, today),
        )

    def record_consent(
        self, scope: str, document_ref: str, occurred_on: date, by: Actor, today: date
    ) -> None:
        self._check_live(occurred_on, today)
        if not scope.strip():
            raise InvalidValueError("consent needs a scope")
        self.trigger_event(
            self.ConsentRecorded, scope=scope, document_ref=document_ref, **stamp(by, occurred_on)
        )

    def withdraw_consent(self, scope: str, occurred_on: date, by: Actor, today: date) -> None:
        self._check_live(occurred_on, today)
        if scope not in self.consents:
            raise InvalidValueError(f"no consent with scope {scope!r} is on record")
        self.trigger_event(self.ConsentWithdrawn, scope=scope, **stamp(by, occurred_on))

    def withdraw_institutional_application(
        self, institution_kind: InstitutionKind, occurred_on: date, by: Actor, today: date
    ) -> None:
        self._check_live(occurred_on, today)
        self.trigger_event(
            self.InstitutionalApplicationWithdrawn,
            institution_kind=one_of(InstitutionKind, institution_kind),
            **stamp(by, occurred_on),
        )

    def record_institutional_admission(
        self, institution_kind: InstitutionKind, occurred_on: date, by: Actor, today: date
    ) -> None:
        self._check_live(occurred_on, today)
        self.trigger_event(
            self.InstitutionalAdmission,
            institution_kind=one_of(InstitutionKind, institution_kind),
            **stamp(by, occurred_on),
        )

    def erase(self, reason: str, by: Actor, today: date) -> None:
        self._check_live(today, today)
        if not reason.strip():
            raise InvalidValueError("erasure needs a reason")
        self.trigger_event(self.Erased, reason=reason, **stamp(by, today))

    def link(self, other_id: UUID, reason: str, by: Actor, today: date) -> None:
        """Record that this record and `other_id` are one person (the command saves both)."""
        self.check_not_erased()
        if other_id == self.id:
            raise LinkError(
                "a record cannot be linked to itself: name the other record of the person"
            )
        if other_id in self.linked:
            raise LinkError(
                f"participant {self.id} is already linked to {other_id}: the link stands"
            )
        self.trigger_event(
            self.Linked, other_id=other_id, reason=non_empty(reason, "reason"), **stamp(by, today)
        )

    def unlink(self, other_id: UUID, reason: str, by: Actor, today: date) -> None:
        """Record that a link made in error is undone (the command saves both records)."""
        self.check_not_erased()
        if other_id not in self.linked:
            raise LinkError(
                f"participant {self.id} is not linked to {other_id}:"
                " only a link on record (the record's `linked`) can be undone"
            )
        self.trigger_event(
            self.Unlinked, other_id=other_id, reason=non_empty(reason, "reason"), **stamp(by, today)
        )

    def entry_version(self, event_id: UUID) -> int | None:
        """The version of the person's entry with this id, if it may still be voided."""
        return next((v for v in self.voidable if entry_id(self.id, v) == event_id), None)

    def standing_consents(self) -> list[str]:
        """The scopes consented to, by the consent entries not voided, in the order given."""
        consents: list[str] = []
        for version, scope, recorded in self.consent_entries:
            if version in self.voided:
                continue
            if recorded and scope not in consents:
                consents.append(scope)
            elif not recorded and scope in consents:
                consents.remove(scope)
        return consents

    def void_entry(self, event_id: UUID, reason: str, by: Actor, today: date) -> None:
        """Void a consent or institutional fact recorded in error; counts skip it from then."""
        self.check_not_erased()
        if self.entry_version(event_id) is None:
            if any(entry_id(self.id, v) == event_id for v in self.voided):
                raise EntryNotVoidableError(
                    f"entry {event_id} is already voided: nothing is left to void"
                )
            if any(entry_id(self.id, v) == event_id for v in range(1, self.version + 1)):
                raise EntryNotVoidableError(
                    f"entry {event_id} is not a consent or an institutional fact;"
                    " only those of a person's entries can be voided"
                )
            raise NotFoundError(
                f"no entry {event_id} of participant {self.id}: the person's history names"
                " each entry's event_id (an episode's entries are voided on the episode)"
            )
        self.trigger_event(
            self.EntryVoided,
            event_id=event_id,
            reason=non_empty(reason, "reason"),
            **stamp(by, today),
        )

    def join_program(
        self, program_id: UUID, episode_id: UUID, occurred_on: date, by: Actor, today: date
    ) -> None:
        """Link the person to an episode opened for them (saved with the episode)."""
        self.check_can_open_episode()
        check_occurred_on(occurred_on, today)
        self.trigger_event(
            self.JoinedProgram,
            program_id=program_id,
            episode_id=episode_id,
            **stamp(by, occurred_on),
        )

    @property
    def episodes(self) -> dict[str, list[str]]:
        """Program id -> ids of this person's episodes in it, as dashed UUIDs (`joined` keeps
        them as stored: hex)."""
        by_program: dict[str, list[str]] = {}
        for program, episode in self.joined:
            by_program.setdefault(str(UUID(program)), []).append(str(UUID(episode)))
        return by_program

    def in_programs(self) -> set[UUID]:
        return {UUID(program) for program, _ in self.joined}

    def check_not_erased(self) -> None:
        if self.erased:
            raise ParticipantErasedError(f"participant {self.id} was erased")

    def check_can_open_episode(self) -> None:
        self.check_not_erased()
        if not self.consents:
            raise ConsentRequiredError(f"participant {self.id} has no consent on record")

    def _check_live(self, occurred_on: date, today: date) -> None:
        self.check_not_erased()
        check_occurred_on(occurred_on, today)
