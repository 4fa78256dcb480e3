"""`ledger import` on both stores: commands run on several threads, and the file's order holds
wherever one line depends on another."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.bulk_import import import_file
from domain.episode import Episode
from domain.facility import Facility
from domain.ledger import Ledger

PEOPLE = 6
SERVICES = [0, 1, 4, 7, 3, 9]  # per person; chunks of 3 split the longer runs


def line(
    command: str, body: dict[str, Any], params: dict[str, str] | None = None, **kw: str
) -> str:
    record: dict[str, Any] = {"command": command, "params": params or {}, "body": body, **kw}
    return json.dumps(record)


def a_program_file(path: Path, refuse_service_of: int | None = None) -> Path:
    """A program, a shelter with one bed, and people who take that bed one after another."""
    on = {"occurred_on": "2024-05-01"}
    lines = [
        line("define_program", {"code": "IMP", "name": "Import", "financing": "grant",
             "period_start": "2024-01-01", "period_end": "2024-12-31", "targets": {}},
             **{"as": "program"}),
        line("register_facility", {"kind": "shelter", "name": "One bed", "settlement": "Bredy",
             "capacity": 1, **on}, **{"as": "shelter"}),
    ]  # fmt: skip
    for n in range(PEOPLE):
        episode = f"$e{n}"
        lines += [
            line("register_participant", {"target_groups": ["homeless"], "settlement": "Bredy",
                 "birth_year": 1970 + n, "prior_residence": "own_home"}, **{"as": f"p{n}"}),
            line("consent", {"scope": "services", "document_ref": f"C-{n}", **on},
                 {"participant_id": f"$p{n}"}),
            line("open_episode", {"participant_id": f"$p{n}", "program_id": "$program",
                 "caseworker": "cw-1", "referral_source": "outreach", **on}, **{"as": f"e{n}"}),
            line("start_placement", {"facility_id": "$shelter", **on}, {"episode_id": episode},
                 **{"as": f"bed{n}"}),
        ]  # fmt: skip
        for k in range(SERVICES[n]):
            quantity = 0 if n == refuse_service_of and k == 1 else 1
            lines.append(
                line("deliver_service", {"kind": "home_care", "quantity": quantity,
                     "settlement": "Bredy", **on}, {"episode_id": episode})
            )  # fmt: skip
        lines += [
            line("end_placement", {"destination": "own_home", **on},
                 {"episode_id": episode, "placement_id": f"$bed{n}"}),
            line("close_episode", {"reason": "goals_achieved", "destination": "own_home", **on},
                 {"episode_id": episode}),
        ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


def episodes(ledger: Ledger) -> list[list[str]]:
    """Each episode's events by class name, in stream order, in the order they were opened."""
    opened = [
        n.originator_id
        for n in ledger.recorder.select_notifications(1, 100_000)
        if n.topic == "ledger:Episode.Opened"
    ]
    return [
        [type(event).__name__ for event in ledger.events.get(UUID(str(episode)))]
        for episode in opened
    ]


def test_an_imported_file_keeps_each_episode_in_file_order_and_the_bed_passes_on(
    ledger: Ledger, tmp_path: Path
) -> None:
    report = import_file(ledger, a_program_file(tmp_path / "file.ndjson"), chunk=3, workers=4)

    assert report.lines == 2 + PEOPLE * 6 + sum(SERVICES)
    found = episodes(ledger)
    assert found == [
        ["Opened", "PlacementStarted", *["ServiceDelivered"] * count, "PlacementEnded", "Closed"]
        for count in SERVICES
    ]
    [shelter] = [
        n.originator_id
        for n in ledger.recorder.select_notifications(1, 100_000)
        if n.topic == "ledger:Facility.Registered"
    ]
    stays = ledger.events.get(UUID(str(shelter)))
    kinds = [type(event).__name__ for event in stays]
    # One bed, six people: each took it after the one before had left.
    assert kinds == ["Registered", *["BedAssigned", "BedReleased"] * PEOPLE]
    stays_now = ledger.load(Facility, UUID(str(shelter))).stays.values()
    assert len(stays_now) == PEOPLE
    assert all(stay["bed"] == 1 and stay["end"] for stay in stays_now)


def test_importing_the_same_file_again_writes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    path = a_program_file(tmp_path / "file.ndjson")
    import_file(ledger, path, chunk=3, workers=4)
    head = ledger.recorder.max_notification_id()

    again = import_file(ledger, path, chunk=3, workers=4)

    assert again.events == 0
    assert ledger.recorder.max_notification_id() == head


def test_a_refused_line_is_named_and_nothing_after_it_in_its_episode_is_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = a_program_file(tmp_path / "file.ndjson", refuse_service_of=3)
    refused = 2 + 3 * 6 + sum(SERVICES[:3]) + 4 + 2  # person 3's second service

    with pytest.raises(ValueError, match=f":{refused}: ") as error:
        import_file(ledger, path, chunk=100, workers=4)

    assert "quantity" in str(error.value)
    found = episodes(ledger)
    assert found[:3] == [
        ["Opened", "PlacementStarted", *["ServiceDelivered"] * count, "PlacementEnded", "Closed"]
        for count in SERVICES[:3]
    ]
    # The refused line's chunk is written whole or not at all, and nothing after it.
    assert found[3] == ["Opened", "PlacementStarted"]
    assert len(found) == 4  # the next person's episode waits on the bed person 3 still holds
    assert ledger.load(Episode, ledger_episode(ledger, 3)).version == 2


def ledger_episode(ledger: Ledger, index: int) -> UUID:
    opened = [
        n.originator_id
        for n in ledger.recorder.select_notifications(1, 100_000)
        if n.topic == "ledger:Episode.Opened"
    ]
    return UUID(str(opened[index]))


def test_a_file_fixed_after_a_refusal_imports_the_rest_and_nothing_twice(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = a_program_file(tmp_path / "file.ndjson", refuse_service_of=3)
    with pytest.raises(ValueError, match="quantity"):
        import_file(ledger, path, chunk=3, workers=4)
    written = ledger.recorder.max_notification_id()

    a_program_file(path)  # the refused line fixed, in place; every other line as it was
    import_file(ledger, path, chunk=3, workers=4)

    assert (ledger.recorder.max_notification_id() or 0) > (written or 0)
    assert episodes(ledger) == [
        ["Opened", "PlacementStarted", *["ServiceDelivered"] * count, "PlacementEnded", "Closed"]
        for count in SERVICES
    ]
    again = import_file(ledger, path, chunk=3, workers=4)
    assert again.events == 0


def test_identical_lines_are_separate_commands_and_another_source_is_another_import(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = a_program_file(tmp_path / "file.ndjson")
    text = path.read_text()
    # The same service twice on the same day: two visits, not one line sent twice.
    service = next(n for n in text.splitlines() if '"deliver_service"' in n)
    path.write_text(text.replace(service, f"{service}\n{service}", 1))
    import_file(ledger, path, chunk=3, workers=4)
    assert [len(e) for e in episodes(ledger)][1] == 4 + SERVICES[1] + 1

    moved = tmp_path / "moved.ndjson"
    moved.write_text(path.read_text())
    assert import_file(ledger, moved, chunk=3, workers=4, source=str(path.resolve())).events == 0


def test_services_of_a_kind_the_program_added_import_after_it_and_an_unknown_kind_is_named(
    ledger: Ledger, tmp_path: Path
) -> None:
    on = {"occurred_on": "2024-05-01"}
    lines = [
        line("define_program", {"code": "CAT", "name": "Catalogue", "financing": "grant",
             "period_start": "2024-01-01", "period_end": "2024-12-31", "targets": {}},
             **{"as": "program"}),
        line("register_participant", {"target_groups": ["homeless"], "settlement": "Bredy",
             "birth_year": 1970, "prior_residence": "own_home"}, **{"as": "p"}),
        line("consent", {"scope": "services", "document_ref": "C-1", **on},
             {"participant_id": "$p"}),
        line("open_episode", {"participant_id": "$p", "program_id": "$program",
             "caseworker": "cw-1", "referral_source": "outreach", **on}, **{"as": "e"}),
        # Added after the episode opened, and named by none of the services below.
        line("add_service", {"kind": "peer_group", "name": "Peer group", "unit": "meeting", **on},
             {"program_id": "$program"}),
    ]  # fmt: skip
    for kind in ("home_care", "peer_group", "peer_group", "home_care", "massage"):
        lines.append(
            line("deliver_service", {"kind": kind, "settlement": "Bredy", **on},
                 {"episode_id": "$e"})
        )  # fmt: skip
    path = tmp_path / "file.ndjson"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(ValueError, match=":10: ") as error:
        import_file(ledger, path, chunk=4, workers=4)

    assert "'massage'" in str(error.value)
    [found] = episodes(ledger)
    assert found == ["Opened", *["ServiceDelivered"] * 4]
