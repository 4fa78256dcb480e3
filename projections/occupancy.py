"""Occupancy read model: beds per facility and day, who held which bed, bed-nights, utilisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar
from uuid import UUID

from domain.facility import Facility
from projections.model import Reading, ReadModel, handles
from store.read_store import Tx


@dataclass(frozen=True)
class BedHolder:
    bed: int
    participant_id: str
    episode_id: str
    placement_id: str
    since: date


@dataclass(frozen=True)
class DayOccupancy:
    """One facility on one day (a night: a stay that ends on a day does not hold that night)."""

    facility_id: str
    name: str
    kind: str
    settlement: str
    day: date
    capacity: int
    residents: int
    beds: list[BedHolder] = field(default_factory=list)

    @property
    def free_beds(self) -> int:
        return max(self.capacity - self.residents, 0)


@dataclass(frozen=True)
class PeriodOccupancy:
    """A facility over [start, end]: capacity and bed-nights used, and their ratio, counted over
    the days that have come: [start, counted_to] (None: the period has not begun)."""

    facility_id: str
    start: date
    end: date
    counted_to: date | None
    bed_nights: int
    capacity_nights: int
    days: list[DayOccupancy]

    @property
    def utilisation(self) -> float:
        return round(self.bed_nights / self.capacity_nights, 4) if self.capacity_nights else 0.0


class Occupancy(ReadModel):
    """Facilities, their capacity over time and every stay, as the facility events tell them."""

    name = "occupancy"
    TABLES: ClassVar[dict[str, str]] = {
        "facilities": (
            "facility_id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,"
            " settlement TEXT NOT NULL"
        ),
        "capacity": (
            "facility_id TEXT NOT NULL, since TEXT NOT NULL, beds INTEGER NOT NULL,"
            " PRIMARY KEY (facility_id, since)"
        ),
        "stays": (
            "placement_id TEXT PRIMARY KEY, facility_id TEXT NOT NULL, bed INTEGER NOT NULL,"
            " participant_id TEXT NOT NULL, episode_id TEXT NOT NULL, start_on TEXT NOT NULL,"
            " end_on TEXT"
        ),
    }
    INDEXES = (("stays", "facility_id"),)

    @handles(Facility.Registered)
    def _registered(self, tx: Tx, event: Any, position: int) -> None:
        facility = str(event.originator_id)
        tx.execute(
            f"INSERT INTO {self.t('facilities')} VALUES (?, ?, ?, ?)",
            (facility, event.kind, event.name, event.settlement),
        )
        self._set_capacity(tx, facility, event.occurred_on, event.capacity)

    @handles(Facility.CapacityChanged)
    def _capacity_changed(self, tx: Tx, event: Any, position: int) -> None:
        self._set_capacity(tx, str(event.originator_id), event.occurred_on, event.capacity)

    @handles(Facility.BedAssigned)
    def _assigned(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.t('stays')} VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                str(event.placement_id),
                str(event.originator_id),
                event.bed,
                str(event.participant_id),
                str(event.episode_id),
                event.occurred_on.isoformat(),
            ),
        )

    @handles(Facility.BedReleased)
    def _released(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {self.t('stays')} SET end_on = ? WHERE placement_id = ?",
            (event.occurred_on.isoformat(), str(event.placement_id)),
        )

    def _set_capacity(self, tx: Tx, facility: str, since: date, beds: int) -> None:
        capacity = self.t("capacity")
        tx.execute(
            f"INSERT INTO {capacity} VALUES (?, ?, ?)"
            f" ON CONFLICT (facility_id, since) DO UPDATE SET beds = excluded.beds",
            (facility, since.isoformat(), beds),
        )

    # Queries.

    def on(
        self, reading: Reading, day: date, facility_id: UUID | None = None
    ) -> list[DayOccupancy]:
        """Every facility (or one) on a day: capacity, residents, and who holds which bed."""
        return [
            _day(facility, *self._history(reading, facility[0]), day)
            for facility in self._facilities(reading, facility_id)
        ]

    def period(
        self, reading: Reading, facility_id: UUID, start: date, end: date, today: date
    ) -> PeriodOccupancy:
        """Day by day from `start` to `end` inclusive, with bed-nights and utilisation, over the
        days up to `today` only: a night to come is neither used nor offered yet (a stay open
        today would otherwise fill the rest of the month)."""
        facilities = self._facilities(reading, facility_id)
        if not facilities:
            raise LookupError(f"no facility {facility_id}")
        capacity, stays = self._history(reading, str(facility_id))
        counted_to = min(end, today) if start <= today else None
        counted = (counted_to - start).days + 1 if counted_to else 0
        days = [
            _day(facilities[0], capacity, stays, start + timedelta(days=n)) for n in range(counted)
        ]
        return PeriodOccupancy(
            str(facility_id),
            start,
            end,
            counted_to,
            bed_nights=sum(d.residents for d in days),
            capacity_nights=sum(d.capacity for d in days),
            days=days,
        )

    def _facilities(self, reading: Reading, facility_id: UUID | None) -> list[tuple[Any, ...]]:
        sql = f"SELECT facility_id, name, kind, settlement FROM {reading.t('facilities')}"
        if facility_id is None:
            return reading.tx.execute(sql + " ORDER BY name, facility_id")
        return reading.tx.execute(sql + " WHERE facility_id = ?", (str(facility_id),))

    def _history(self, reading: Reading, facility_id: str) -> tuple[list[Any], list[Any]]:
        capacity = reading.tx.execute(
            f"SELECT since, beds FROM {reading.t('capacity')} WHERE facility_id = ? ORDER BY since",
            (facility_id,),
        )
        stays = reading.tx.execute(
            f"SELECT bed, participant_id, episode_id, placement_id, start_on, end_on"
            f" FROM {reading.t('stays')} WHERE facility_id = ? ORDER BY bed",
            (facility_id,),
        )
        return capacity, stays


def _day(
    facility: tuple[Any, ...], capacity: list[Any], stays: list[Any], day: date
) -> DayOccupancy:
    iso = day.isoformat()
    beds_now = [beds for since, beds in capacity if since <= iso]
    holders = [
        BedHolder(bed, participant, episode, placement, date.fromisoformat(start))
        for bed, participant, episode, placement, start, end in stays
        if start <= iso and (end is None or iso < end)
    ]
    facility_id, name, kind, settlement = facility
    return DayOccupancy(
        facility_id,
        name,
        kind,
        settlement,
        day,
        beds_now[-1] if beds_now else 0,
        len(holders),
        holders,
    )
