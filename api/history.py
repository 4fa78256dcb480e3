"""A history: the events of one or more streams in recorded order, read a page at a time.

A page reads from each stream only the events after the position its cursor names, a page's
worth at a time, and merges them by recorded time. The cursor holds, for each stream, the last
version already given or passed over: a position, not an offset, so paging gives each line once
and in order while new events are recorded, and a page costs the same deep into a long stream.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query

from api.problems import ProblemError
from domain.episode import Episode
from domain.participant import Participant
from domain.sealing import sealed_facts
from domain.tracks import entry_id

HistoryCursor = Annotated[
    str | None,
    Query(
        max_length=1000,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the page before, as given",
    ),
]
COMMON = ("originator_id", "originator_version", "timestamp", "originator_topic")
STAMP = ("occurred_on", "recorded_by", "recorded_role", "request_id")
MASKED = "***"
_VERSION = re.compile(r"[0-9]{1,10}")


def _everything(event: Any) -> bool:
    return True


def _none_voided() -> Collection[int]:
    return ()


@dataclass(frozen=True)
class Stream:
    """One stream of a history: its kind and id, whether the caller may see any of it, which of
    its events the caller may see, and the versions of its voided entries (read only when a
    page shows a line of it)."""

    kind: str
    id: UUID
    visible: bool = True
    keep: Callable[[Any], bool] = _everything
    voided: Callable[[], Collection[int]] = _none_voided


def plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    return value


def described(event: Any, kind: str, voided: bool, personal: bool) -> dict[str, Any]:
    """One history line: what, when it happened, when recorded, by whom, why, and if voided.
    Sealed facts (personal data) are masked wherever they appear unless `personal`."""
    state = vars(event)
    hidden = frozenset() if personal else sealed_facts(event)
    data = {k: (MASKED if k in hidden else v) for k, v in state.items() if k not in COMMON + STAMP}
    return {
        "event_id": str(entry_id(event.originator_id, event.originator_version)),
        "aggregate": kind,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "type": type(event).__name__,
        "occurred_on": event.occurred_on.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "recorded_by": event.recorded_by,
        "recorded_role": event.recorded_role,
        "request_id": event.request_id,
        "reason": data.get("reason"),
        "voided": voided,
        "data": plain(data),
    }


def page(
    ledger: Any,
    subject: UUID,
    streams: Sequence[Stream],
    *,
    known_at: datetime | None,
    limit: int,
    cursor: str | None,
    personal: bool,
) -> dict[str, Any]:
    """The next `limit` lines of the streams' merged history after `cursor`, as known at
    `known_at`; `subject` is the record whose history it is (a cursor serves only its own)."""
    consumed = _positions(cursor, subject, len(streams))
    merged = heapq.merge(
        *(
            _read(ledger, stream, rank, consumed[rank], known_at, limit + 1)
            for rank, stream in enumerate(streams)
        )
    )
    items: list[dict[str, Any]] = []
    voided: dict[int, frozenset[int]] = {}
    following = None
    for _, rank, version, event in merged:
        stream = streams[rank]
        kept = stream.keep(event)
        if kept and len(items) == limit:
            following = _cursor(subject, consumed)
            break
        consumed[rank] = version
        if kept:
            if rank not in voided:
                voided[rank] = frozenset(stream.voided())
            items.append(described(event, stream.kind, version in voided[rank], personal))
    return {
        "items": items,
        "next_cursor": following,
        "position": ledger.recorder.max_notification_id() or 0,
    }


def episode_voided(ledger: Any, episode_id: UUID, known_at: datetime | None) -> list[int]:
    """The versions of an episode's voided entries, as known at the moment."""
    return list(ledger.load_as_known(Episode, episode_id, known_at).voided)


def participant_voided(ledger: Any, participant_id: UUID, known_at: datetime | None) -> list[int]:
    """The versions of a person's voided entries, as known at the moment."""
    return list(ledger.load_as_known(Participant, participant_id, known_at).voided)


def _read(
    ledger: Any, stream: Stream, rank: int, after: int, known_at: datetime | None, chunk: int
) -> Iterator[tuple[datetime, int, int, Any]]:
    """The stream's events after version `after`, read `chunk` at a time as the merge asks."""
    if not stream.visible:
        return
    while True:
        events = ledger.recorded_events(stream.id, known_at, after=after, limit=chunk)
        for event in events:
            yield event.timestamp, rank, event.originator_version, event
        if len(events) < chunk:
            return
        after = events[-1].originator_version


def _tag(subject: UUID) -> str:
    return hashlib.sha256(subject.bytes).hexdigest()[:8]


def _cursor(subject: UUID, consumed: list[int]) -> str:
    versions = list(consumed)
    while len(versions) > 1 and versions[-1] == 0:  # streams not reached yet
        versions.pop()
    text = f"{_tag(subject)}:{'.'.join(map(str, versions))}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _positions(cursor: str | None, subject: UUID, streams: int) -> list[int]:
    """Each stream's last version given before, from a cursor this history gave."""
    if cursor is None:
        return [0] * streams
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        text = ""
    tag, _, numbers = text.partition(":")
    versions = numbers.split(".")
    if (
        tag != _tag(subject)
        or len(versions) > streams
        or not all(_VERSION.fullmatch(v) for v in versions)
    ):
        raise ProblemError(
            400, "invalid_cursor", "The cursor is not one this history gave",
            "Send `next_cursor` of the page before, unchanged, with the same path",
        )  # fmt: skip
    return [int(v) for v in versions] + [0] * (streams - len(versions))
