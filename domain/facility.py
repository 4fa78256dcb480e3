"""A facility with beds: social hotel, training or supported-living flat, shelter, inpatient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.base import (
    Actor,
    DateOrderError,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    NotFoundError,
    check_occurred_on,
    one_of,
    stable_topics,
    stamp,
)
from domain.vocabulary import FacilityKind


class BedUnavailableError(DomainError):
    """Every bed is taken on some day from the placement's start on."""

    rule = "bed_unavailable"


class AlreadyPlacedError(DomainError):
    """The person already holds a bed in this facility on that date."""

    rule = "one_bed_per_person"


class CapacityBelowResidentsError(DomainError):
    """Capacity cannot drop below the residents already placed on some day from then on."""

    rule = "capacity_below_residents"


def _held_on(stay: dict[str, Any], day: date) -> bool:
    """A stay holds its bed from the start day up to, not including, the day it ends."""
    return bool(stay["start"] <= day and (stay["end"] is None or day < stay["end"]))


@stable_topics("Facility")
class Facility(LedgerAggregate):
    """Beds over time: who holds which bed from which day to which day, and capacity per day."""

    def __init__(
        self, kind: str, name: str, settlement: str, capacity: int, programs: list[UUID]
    ) -> None:
        self.kind = kind
        self.name = name
        self.settlement = settlement
        # The programs whose participants it takes (empty: shared by every program).
        self.programs = programs
        # (effective from, beds): capacity holds from that day until the next change.
        self.capacity_changes: list[list[Any]] = []
        # placement id (hex) -> {participant, episode, bed, start, end}
        self.stays: dict[str, dict[str, Any]] = {}

    class Registered(LedgerAggregate.Created):
        kind: str
        name: str
        settlement: str
        capacity: int
        programs: list[UUID]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Version 1 named no program: every facility registered before is shared by all.
            state["programs"] = []

        def apply(self, aggregate: Any) -> None:
            aggregate.capacity_changes.append([self.occurred_on, self.capacity])

    class CapacityChanged(LedgerAggregate.Event):
        capacity: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.capacity_changes.append([self.occurred_on, self.capacity])

    class BedAssigned(LedgerAggregate.Event):
        placement_id: UUID
        participant_id: UUID
        episode_id: UUID
        bed: int

        def apply(self, aggregate: Any) -> None:
            aggregate.stays[self.placement_id.hex] = {
                "participant": self.participant_id.hex,
                "episode": self.episode_id.hex,
                "bed": self.bed,
                "start": self.occurred_on,
                "end": None,
            }

    class BedReleased(LedgerAggregate.Event):
        placement_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.stays[self.placement_id.hex]["end"] = self.occurred_on

    @classmethod
    def register(
        cls,
        *,
        kind: FacilityKind,
        name: str,
        settlement: str,
        capacity: int,
        occurred_on: date,
        by: Actor,
        today: date,
        programs: Sequence[UUID] = (),
    ) -> Facility:
        check_occurred_on(occurred_on, today)
        if not name.strip() or not settlement.strip():
            raise InvalidValueError("a facility needs a name and a settlement")
        if capacity < 0:
            raise InvalidValueError("capacity cannot be negative")
        return cls._create(
            cls.Registered,
            kind=one_of(FacilityKind, kind),
            name=name.strip(),
            settlement=settlement.strip(),
            capacity=capacity,
            programs=sorted(set(programs), key=str),
            **stamp(by, occurred_on),
        )

    # Snapshots taken before a facility served programs lack them (version 1): it served all.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["programs"] = []

    def capacity_on(self, day: date) -> int:
        beds = 0
        for since, capacity in self.capacity_changes:
            if since <= day:
                beds = capacity
        return beds

    def residents_on(self, day: date) -> list[dict[str, Any]]:
        return [stay for stay in self.stays.values() if _held_on(stay, day)]

    def change_capacity(
        self, capacity: int, reason: str, occurred_on: date, by: Actor, today: date
    ) -> None:
        check_occurred_on(occurred_on, today, not_before=self.capacity_changes[-1][0])
        if capacity < 0:
            raise InvalidValueError("capacity cannot be negative")
        for day in self._days_that_matter(occurred_on):
            if len(self.residents_on(day)) > capacity:
                raise CapacityBelowResidentsError(
                    f"{len(self.residents_on(day))} residents on {day}, capacity {capacity}"
                )
        self.trigger_event(
            self.CapacityChanged, capacity=capacity, reason=reason, **stamp(by, occurred_on)
        )

    def assign_bed(
        self,
        *,
        placement_id: UUID,
        participant_id: UUID,
        episode_id: UUID,
        occurred_on: date,
        by: Actor,
        today: date,
    ) -> int:
        """Give the person the lowest-numbered bed that is free from `occurred_on` on."""
        check_occurred_on(occurred_on, today, not_before=self.capacity_changes[0][0])
        ongoing = [s for s in self.stays.values() if s["end"] is None or s["end"] > occurred_on]
        if any(s["participant"] == participant_id.hex for s in ongoing):
            raise AlreadyPlacedError(f"participant already holds a bed here on {occurred_on}")
        for day in self._days_that_matter(occurred_on):
            if len(self.residents_on(day)) + 1 > self.capacity_on(day):
                raise BedUnavailableError(f"no free bed on {day}")
        taken = {s["bed"] for s in ongoing}
        free = [b for b in range(1, self.capacity_on(occurred_on) + 1) if b not in taken]
        if not free:
            raise BedUnavailableError(f"no single bed is free from {occurred_on} on")
        self.trigger_event(
            self.BedAssigned,
            placement_id=placement_id,
            participant_id=participant_id,
            episode_id=episode_id,
            bed=free[0],
            **stamp(by, occurred_on),
        )
        return int(free[0])

    def release_bed(self, placement_id: UUID, occurred_on: date, by: Actor, today: date) -> None:
        stay = self.stays.get(placement_id.hex)
        if stay is None:
            raise NotFoundError(f"placement {placement_id} holds no bed here")
        if stay["end"] is not None:
            raise DateOrderError(f"placement {placement_id} already released its bed")
        check_occurred_on(occurred_on, today, not_before=stay["start"])
        self.trigger_event(self.BedReleased, placement_id=placement_id, **stamp(by, occurred_on))

    def _days_that_matter(self, since: date) -> list[date]:
        """Residents rise only when a stay starts and capacity moves only on its own dates."""
        starts = [s["start"] for s in self.stays.values() if s["start"] > since]
        changes = [day for day, _ in self.capacity_changes if day > since]
        return sorted({since, *starts, *changes})
