"""Voiding an entry made in error: which entries may be voided, and what an episode keeps of it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import tracks
from domain.base import Actor, DomainError, NotFoundError, non_empty, stamp
from domain.tracks import PLACEMENT


class EntryNotVoidableError(DomainError):
    """Only the latest step of an entry can be voided, once; placements are ended, not voided."""

    rule = "entry_not_voidable"


class Voiding:
    """Mixed into `Episode`: corrections are events; history keeps both, counts skip the voided."""

    if TYPE_CHECKING:  # provided by Episode and the library's aggregate

        @property
        def id(self) -> UUID: ...

        tracks: dict[str, dict[str, Any]]
        standalone: list[int]
        voided: list[int]
        EntryVoided: Any

        def _check_open(self, occurred_on: date, today: date) -> None: ...

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def note_voided(self, event_id: UUID) -> None:
        found = self.find_entry(event_id)
        if found is None:  # cannot happen for a voiding this aggregate accepted
            return
        version, track_id = found
        self.voided.append(version)
        if track_id is None:
            self.standalone.remove(version)
            return
        track = self.tracks[track_id]
        track["steps"].pop()
        if not track["steps"]:
            del self.tracks[track_id]

    def find_entry(self, event_id: UUID) -> tuple[int, str | None] | None:
        """The version of a recorded, not voided entry, and its track (None: standalone)."""
        for version in self.standalone:
            if tracks.entry_id(self.id, version) == event_id:
                return version, None
        for track_id, track in self.tracks.items():
            for step in track["steps"]:
                if tracks.entry_id(self.id, step[0]) == event_id:
                    return step[0], track_id
        return None

    def is_voided(self, event_id: UUID) -> bool:
        return any(tracks.entry_id(self.id, version) == event_id for version in self.voided)

    def void_entry(self, event_id: UUID, reason: str, by: Actor, today: date) -> None:
        """Mark an entry made in error; history keeps both, counts skip the voided one."""
        self._check_open(today, today)
        if self.is_voided(event_id):
            raise EntryNotVoidableError(f"entry {event_id} is already voided")
        found = self.find_entry(event_id)
        if found is None:
            raise NotFoundError(f"no voidable entry {event_id} in this episode")
        version, track_id = found
        if track_id is not None:
            track = self.tracks[track_id]
            if track["kind"] == PLACEMENT:
                raise EntryNotVoidableError("a placement holds a bed: end it instead of voiding")
            if track["steps"][-1][0] != version:
                raise EntryNotVoidableError(f"a later step of {track['kind']} depends on it")
        self.trigger_event(
            self.EntryVoided,
            event_id=event_id,
            reason=non_empty(reason, "reason"),
            **stamp(by, today),
        )
