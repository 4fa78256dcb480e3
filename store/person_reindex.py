"""The blind index of people made anew from the log (`ledger reindex`): each person's personal
data as it now stands, decrypted with their key; erased people and ids never saved left out.

What it mends: entries of registrations that failed or crashed between their index write and
their save, a correction whose process died before it gave its old SNILS up, and an index
restored from a backup older than the log. Run it with the API stopped: a registration during
the rebuild may be indexed twice or not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.ledger import Ledger
from domain.participant import Participant
from domain.personal_data import PersonalData
from store.person_index import TABLES, SqlPersonIndex

PAGE = 500


@dataclass
class Reindexed:
    """What `reindex` did: people indexed, and SNILS held by more than one person (the first
    registered keeps the claim; the others registered before SNILS were unique)."""

    people: int = 0
    shared_snils: list[UUID] = field(default_factory=list)


def reindex(ledger: Ledger) -> Reindexed:
    index = ledger.person_index
    assert isinstance(index, SqlPersonIndex), "only a stored index is made anew"
    people: list[tuple[UUID, dict[str, Any]]] = []
    topic = get_topic(PersonalData.Recorded)
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start, PAGE, topics=[topic])
        for notification in page:
            recorded: Any = ledger.mapper.to_domain_event(notification)
            participant_id: UUID = recorded.participant_id  # of the envelope: never sealed
            if ledger.load(Participant, participant_id).erased:
                continue
            data = ledger.load(PersonalData, recorded.originator_id)
            people.append((participant_id, data.fields))
        if len(page) < PAGE:
            break
        start = page[-1].id + 1
    report = Reindexed(people=len(people))
    claims: dict[str, UUID] = {}
    for participant_id, fields in people:  # in the order registered: the first keeps it
        if fields.get("snils"):
            claim = index.keys.snils(fields["snils"])
            if claim in claims:
                report.shared_snils.append(participant_id)
            claims.setdefault(claim, participant_id)
    with index.store.transaction() as tx:
        for table in TABLES:
            tx.execute(f"DELETE FROM {table}")
        now = int(time.time())
        tx.insert_rows("person_claims", [(c, str(p), now) for c, p in claims.items()])
    index.put_many(people)
    index.made_anew()
    return report
