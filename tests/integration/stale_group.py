"""One group of seven queued commands, one of them stale: set up, and checked row by row.

Run the same way by threads (test_group_commit.py) and on an event loop
(test_commands_on_loop.py): a leader writes alone while the table is locked, six more queue,
of which two are pinned to the same version of one episode, so only one of them can succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.commands import CommandResult, Context, StaleVersionError
from domain.episode import Episode
from domain.ledger import Ledger
from tests.integration.machinery import writes_of
from tests.integration.scenario import CASEWORKER, World, a_world, an_episode


@dataclass
class StaleGroup:
    ledger: Ledger
    world: World
    alone: UUID  # the leader's episode
    others: list[UUID]  # one command each, queued behind the leader
    pinned: Context  # sent twice, on the world's episode: only one can succeed
    head: int
    version: int
    groups: list[int] = field(default_factory=list)  # commands per transaction

    @property
    def episodes(self) -> list[UUID]:
        """Whose events the leader, the queued and the two pinned commands write, in order."""
        return [self.alone, *self.others, self.world.episode, self.world.episode]

    def check(self, results: list[Any]) -> None:
        """The leader alone, then one group of seven; only one pinned command refused, as
        stale; every other answer names its own stored event; nothing else stored."""
        assert self.groups == [1, 7]
        refused = [r for r in results if not isinstance(r, CommandResult)]
        assert len(refused) == 1
        assert isinstance(refused[0], StaleVersionError)
        written = [
            (e, r) for e, r in zip(self.episodes, results, strict=True) if r is not refused[0]
        ]
        for episode, result in written:  # row by row
            assert stored_at(self.ledger, result.position) == (episode, result.version)
        assert self.ledger.load(Episode, self.world.episode).version == self.version + 1
        assert len(self.ledger.recorder.select_notifications(self.head + 1, 100)) == 7


def stored_at(ledger: Ledger, position: int) -> tuple[UUID, int]:
    """Whose event, at which version, is stored at this log position."""
    [notification] = ledger.recorder.select_notifications(position, 1)
    assert notification.id == position
    return UUID(str(notification.originator_id)), notification.originator_version


def a_stale_group(ledger: Ledger) -> StaleGroup:
    world = a_world(ledger)
    alone, *others = [an_episode(ledger, world.program) for _ in range(6)]
    version = ledger.load(Episode, world.episode).version
    case = StaleGroup(
        ledger,
        world,
        alone,
        others,
        Context(CASEWORKER.actor, expected_version=version),
        ledger.recorder.max_notification_id() or 0,
        version,
    )
    writes_of(ledger).committer.observe = lambda commands, _: case.groups.append(commands)
    return case
