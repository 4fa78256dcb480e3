"""Read models key entries by text made without UUID objects: it must be the domain's entry id."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.tracks import entry_id
from projections.keys import entry_key, text


def test_entry_key_is_the_text_of_the_domains_entry_id() -> None:
    for episode in [uuid4() for _ in range(200)] + [UUID(int=0), UUID(int=2**128 - 1)]:
        for version in (1, 2, 9, 10, 99, 100, 101, 12_345, 10**9):
            assert entry_key(episode, version) == str(entry_id(episode, version))
            assert text(episode) == str(episode)
