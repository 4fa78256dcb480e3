#!/usr/bin/env python3
"""Check a claim's package without the ledger: standard library plus `cryptography`.

    python verify_claim.py PACKAGE --public-key KEY [--trusted FILE ...]

The package (GET /v1/claims/{id}/package, or `ledger claims package ID FILE`; gzipped or not)
holds the claim's events and those it rests on whole, every other event of the log over the
same span as a digest, and the signed checkpoints. KEY is the ledger's Ed25519 public key you
obtained yourself (GET /v1/audit/public-key, or from the operator): raw 32 bytes in base64, or a
file holding that or a PEM key. Nothing in the package is trusted.

The script
1. recomputes the audit chain over the package to every signed checkpoint in it, and names the
   first event that is not what the ledger sealed;
2. checks that nothing the claim rests on was held back: every event of the claim, its program,
   each claimed person and their episodes in the program (found by every episode's opening);
3. recomputes every line of the claim from those events with the ledger's outcome rules
   (domain/outcome_rules.py beside this script in the ledger's repository: standard library
   only), as the ledger knew them when the claim was frozen, and prints the figures; or names
   the first line it cannot reproduce.

`--trusted FILE` (repeatable) takes checkpoints you kept (GET /v1/audit/checkpoints/latest, or
the ledger's checkpoint log): the package's chain must pass through each one.

Exit codes:
  0  OK: the events hold and every line is reproduced: the figures printed are the claim's
  1  FAILED: names the first event altered or held back, or the first line not reproduced
  2  the command line, the package, the key or a --trusted file cannot be used
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import hashlib
import importlib.util
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from verify_export import link_over, read_trusted, signed

FORMAT = "ledger-claim-package/1"
RULES_FILE = Path(__file__).resolve().parents[2] / "domain" / "outcome_rules.py"
OK, FAILED, UNUSABLE = 0, 1, 2
TYPED: dict[str, Callable[[str], Any]] = {
    "uuid_hex": UUID,
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
    "decimal_str": Decimal,
}


class FailedError(Exception):
    """The package does not prove the claim: the first reason found."""


class UnusableError(Exception):
    """The package, the key or a trusted file cannot be used."""


def load_rules() -> Any:
    """The ledger's outcome rules, loaded from their file alone (not the `domain` package)."""
    spec = importlib.util.spec_from_file_location("outcome_rules", RULES_FILE)
    if spec is None or spec.loader is None or not RULES_FILE.exists():
        raise UnusableError(f"the outcome rules are not at {RULES_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["outcome_rules"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def decoded(state: bytes) -> dict[str, Any]:
    """An event's stored JSON, its typed values (ids, times, dates) made objects again."""

    def revive(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"_type_", "_data_"} and value["_type_"] in TYPED:
                return TYPED[value["_type_"]](value["_data_"])
            return {k: revive(v) for k, v in value.items()}
        if isinstance(value, list):
            return [revive(v) for v in value]
        return value

    found = revive(json.loads(state))
    if not isinstance(found, dict):
        raise ValueError("not an event")
    return found


class Event:
    """One event of the package: its head, and its state where the package holds it whole."""

    def __init__(self, entry: list[Any], whole: Mapping[str, Any] | None) -> None:
        self.position, originator, self.version, self.topic, self.digest = entry
        self.stream = UUID(str(originator))
        self.originator = str(originator)
        self.name = str(self.topic).rsplit(".", 1)[-1]
        self.raw = base64.b64decode(whole["state"], validate=True) if whole else None
        self.sealed_chain = whole.get("chain") if whole else None
        self.state: dict[str, Any] = {}

    def __str__(self) -> str:
        return f"position {self.position} ({self.topic}, stream {self.stream} v{self.version})"


def check_chain(
    package: Mapping[str, Any], key: Ed25519PublicKey, trusted: list[dict[str, Any]]
) -> list[Event]:
    """The package's events, once the chain over them reaches every signed checkpoint."""
    whole = {int(e["position"]): e for e in package["events"]}
    events = [Event(entry, whole.pop(int(entry[0]), None)) for entry in package["entries"]]
    if whole:
        raise UnusableError(f"events at positions {sorted(whole)[:5]} have no entry")
    v2_from = int(package["links_v2_from"])
    previous, chain = bytes.fromhex(package["chain_before"]), {}
    last = int(package["start"]) - 1
    for event in events:
        if event.position <= last:
            raise UnusableError(f"entries out of order at position {event.position}")
        if event.raw is not None and hashlib.sha256(event.raw).hexdigest() != event.digest:
            raise FailedError(f"{event}: altered (its bytes are not those the ledger stored)")
        if event.position < v2_from and event.raw is None:
            raise FailedError(f"{event}: held back (a link of the first form needs it whole)")
        first_form = event.position < v2_from
        data = (event.raw or b"") if first_form else bytes.fromhex(event.digest)
        head = (event.position, event.originator, event.version, event.topic)
        previous = link_over(previous, *head, data)
        chain[event.position] = previous.hex()
        if event.sealed_chain is not None and event.sealed_chain != chain[event.position]:
            raise FailedError(f"{event}: altered (the chain departs here from the ledger's seal)")
        last = event.position
    check_checkpoints(package, chain, key, trusted)
    return events


def check_checkpoints(
    package: Mapping[str, Any],
    chain: Mapping[int, str],
    key: Ed25519PublicKey,
    trusted: list[dict[str, Any]],
) -> None:
    """The recomputed chain reaches every signed checkpoint in the package, the last one at its
    end, and passes through every checkpoint the assessor kept."""
    last = max(chain, default=0)
    checkpoints = sorted(package["checkpoints"], key=lambda c: int(c["position"]))
    if not checkpoints or int(checkpoints[-1]["position"]) != last:
        raise UnusableError("the package does not end at a signed checkpoint")
    held = 0
    for checkpoint in checkpoints:
        position = int(checkpoint["position"])
        if not signed(key, checkpoint):
            raise FailedError(f"position {position}: the checkpoint is not signed by the key given")
        if chain.get(position) != checkpoint["hash"]:
            raise FailedError(
                f"position {position}: the chain does not reach the signed checkpoint: an event"
                f" after position {held} and up to {position} is not what the ledger sealed"
            )
        held = position
    for checkpoint in sorted(trusted, key=lambda c: int(c["position"])):
        position = int(checkpoint["position"])
        if not signed(key, checkpoint):
            raise FailedError(f"position {position}: the trusted checkpoint is not signed by it")
        if position < int(package["start"]) or position > last:
            raise UnusableError(
                f"the package spans positions {package['start']} to {last}, not your trusted"
                f" checkpoint at {position}: ask for the package from_position={position}"
                if position < int(package["start"])
                else f"the package ends at {last}, before your trusted checkpoint at {position}:"
                " ask for a newer package"
            )
        if chain.get(position) != checkpoint["hash"]:
            raise FailedError(
                f"position {position}: rewritten (the chain differs from your trusted checkpoint)"
            )


def streams_whole(events: list[Event], claim: Mapping[str, Any], claim_id: UUID) -> list[Event]:
    """The events the claim rests on, once none of them is missing or held back."""
    program = claim["program_id"]
    people = {UUID(str(line["participant_id"])) for line in claim["lines"]}
    links = [e for e in events if e.topic in (LINKED, UNLINKED) and e.raw is not None]
    while True:  # every record ever linked to a claimed person's, and theirs in turn
        more = {e.state["other_id"] for e in links if e.stream in people} - people
        if not more:
            break
        people |= more
    streams = {claim_id, program, *people}
    for event in events:
        if event.name == "Opened" and event.topic.startswith("ledger:Episode."):
            if event.raw is None:
                raise FailedError(f"{event}: held back (an episode's opening)")
            opened = event.state
            if opened["program_id"] == program and opened["participant_id"] in people:
                streams.add(event.stream)
    versions: dict[UUID, int] = defaultdict(int)
    for event in events:
        if event.stream not in streams:
            continue
        if event.raw is None:
            raise FailedError(f"{event}: held back (an event of a stream the claim rests on)")
        if event.version != versions[event.stream] + 1:
            raise FailedError(
                f"{event}: held back (version {versions[event.stream] + 1} of the stream is not"
                " in the package)"
            )
        versions[event.stream] = event.version
    return [event for event in events if event.stream in streams]


LINKED, UNLINKED = "ledger:Participant.Linked", "ledger:Participant.Unlinked"


@dataclass
class Record:
    """What a program's events say, as known at a moment, up to a day: the prior residence and
    groups of each record of a person, who is in the program, each person's facts (voided ones
    left out), and the program's outcome definitions by key and version. A person is counted
    under the smallest id of the records linked as theirs (as the ledger does)."""

    people: dict[UUID, list[tuple[str, list[str]]]] = field(default_factory=dict)
    members: set[UUID] = field(default_factory=set)
    facts: dict[UUID, list[Any]] = field(default_factory=lambda: defaultdict(list))
    definitions: dict[tuple[str, int], Mapping[str, Any]] = field(default_factory=dict)


def canonical(pairs: set[tuple[UUID, UUID]]) -> dict[UUID, UUID]:
    """Each linked record's person: the smallest id (as text) of its group."""
    parent: dict[UUID, UUID] = {}

    def root(record: UUID) -> UUID:
        while parent.get(record, record) != record:
            record = parent[record]
        return record

    for one, other in sorted(pairs, key=str):
        a, b = root(one), root(other)
        if a != b:
            parent[max(a, b, key=str)] = min(a, b, key=str)
    return {record: root(record) for record in parent}


def record_of(
    rules: Any, events: list[Event], program: UUID, known_at: datetime, as_of: date
) -> Record:
    """The record of the program in these events (decoded), as known at `known_at`, on
    `as_of`: what the ledger's outcome facts model holds (projections/outcome_facts.py)."""
    known = [e for e in events if e.raw is not None and e.state["timestamp"] <= known_at]
    pairs: set[tuple[UUID, UUID]] = set()
    for e in known:
        if e.topic in (LINKED, UNLINKED):
            (pairs.add if e.topic == LINKED else pairs.discard)((e.stream, e.state["other_id"]))
    person_of = canonical(pairs)
    record, episodes, voided = Record(), {}, set()
    for e in known:
        state, person = e.state, person_of.get(e.stream, e.stream)
        if e.topic == "ledger:Participant.Registered":
            attributes = (state["prior_residence"], list(state["target_groups"]))
            record.people.setdefault(person, []).append(attributes)
        elif e.topic == "ledger:Episode.Opened" and state["program_id"] == program:
            episodes[e.stream] = person_of.get(state["participant_id"], state["participant_id"])
            record.members.add(episodes[e.stream])
        elif e.name == "EntryVoided":
            voided.add(str(state["event_id"]))
        elif e.topic == "ledger:Program.OutcomeDefined" and e.stream == program:
            record.definitions[(state["key"], state["version"])] = state["definition"]
    for e in known:
        person = episodes.get(e.stream, person_of.get(e.stream, e.stream))
        entry = str(uuid5(e.stream, str(e.version)))
        fact = rules.fact_of(e.name, e.state, entry, e.state.get("occurred_on", as_of))
        if (
            fact is not None
            and fact.on <= as_of
            and person in record.people
            and entry not in voided
        ):
            record.facts[person].append(fact)
    return record


def status_of(rules: Any, record: Record, definition: Any, person: UUID, as_of: date) -> Any:
    """A person's status under a definition, or None for one outside the program's cohort."""
    attributes = record.people.get(person, [])
    if person not in record.members or not any(definition.cohort.holds(*a) for a in attributes):
        return None
    return rules.evaluate(definition, record.facts[person], as_of)


def recompute(rules: Any, events: list[Event], claim: Mapping[str, Any]) -> list[str]:
    """Every line of the claim recomputed: the figures, or FailedError at the first line that
    the events do not reproduce."""
    as_of = claim["period_end"]
    record = record_of(rules, events, claim["program_id"], claim["known_at"], as_of)
    achieved: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for number, line in enumerate(claim["lines"], start=1):
        person, key = UUID(str(line["participant_id"])), line["key"]
        data = record.definitions.get((key, line["version"]))
        if data is None or claim["definitions"].get(key) != line["version"]:
            raise FailedError(f"line {number}: outcome {key} v{line['version']} is not defined")
        status = status_of(rules, record, rules.definition_of(key, data), person, as_of)
        said = ("achieved", line["on"], list(line["evidence"]))
        if status is None:
            found: tuple[str, str, list[str]] = ("not in the program's cohort", "", [])
        elif not claim["period_start"].isoformat() <= line["on"] <= as_of.isoformat():
            found = ("achieved outside the period", line["on"], [])
        else:
            found = (status.state, str(status.on), list(status.evidence))
        if found != said:
            raise FailedError(
                f"line {number} ({key}, participant {person}): cannot be reproduced; the claim"
                f" says achieved on {line['on']} by {said[2]}, its events make it {found[0]}"
                + (f" on {found[1]} by {found[2]}" if found[2] else "")
            )
        achieved[key].append((line["on"], str(person), tuple(line["evidence"]), number))
    return figures(rules, claim, record.definitions, achieved)


def figures(
    rules: Any,
    claim: Mapping[str, Any],
    definitions: Mapping[tuple[str, int], Mapping[str, Any]],
    achieved: Mapping[str, list[tuple[Any, ...]]],
) -> list[str]:
    """Each outcome's lines and amount, the cap counted in the order achieved, and the total."""
    printed, total = [], 0
    for key, version in sorted(claim["definitions"].items()):
        definition = rules.definition_of(key, definitions[(key, version)])
        amount = 0
        for n, (_, _, _, number) in enumerate(sorted(achieved.get(key, []))):
            due = definition.price if definition.cap is None or n < definition.cap else 0
            if due != claim["lines"][number - 1]["amount"]:
                raise FailedError(
                    f"line {number} ({key}): the claim says {claim['lines'][number - 1]['amount']},"
                    f" the definition pays {due} for it (price {definition.price}, cap"
                    f" {definition.cap})"
                )
            amount += due
        printed.append(f"  {key} v{version}: {len(achieved.get(key, []))} lines, {amount:,}")
        total += amount
    if total != claim["total"]:
        raise FailedError(f"the claim's total is {claim['total']:,}; its lines make {total:,}")
    printed.append(f"  total {total:,}")
    return printed


def check(
    package: Mapping[str, Any], key: Ed25519PublicKey, trusted: list[dict[str, Any]]
) -> list[str]:
    """What the script prints before its verdict; FailedError or UnusableError."""
    if package.get("format") != FORMAT:
        raise UnusableError(f"not a claim package of the format {FORMAT}")
    rules = load_rules()
    events = check_chain(package, key, trusted)
    for event in events:
        if event.raw is not None:
            try:
                event.state = decoded(event.raw)
            except ValueError as error:
                raise FailedError(f"{event}: not an event the ledger writes ({error})") from None
    claim_id = UUID(package["claim_id"])
    submitted = next(
        (e for e in events if e.stream == claim_id and e.topic == "ledger:Claim.Submitted"), None
    )
    if submitted is None or submitted.raw is None:
        raise FailedError(f"the claim {claim_id} is not among the sealed events")
    claim = submitted.state
    held = {(c["position"], c["hash"]) for c in package["checkpoints"]}
    frozen = claim.get("checkpoint")
    if claim["lines"] and (not frozen or (frozen["position"], frozen["hash"]) not in held):
        raise FailedError("the checkpoint the claim names is not one the package's chain reaches")
    lines = recompute(rules, streams_whole(events, claim, claim_id), claim)
    rules_digest = hashlib.sha256(RULES_FILE.read_bytes()).hexdigest()
    header = [
        f"claim {claim_id}, program {claim['program_id']}, period {claim['period_start']} to"
        f" {claim['period_end']}, as known at {claim['known_at'].isoformat()}:"
        f" {len(claim['lines'])} lines",
    ]
    if rules_digest != package.get("rules_sha256"):
        header.append(
            f"note: {RULES_FILE} differs from the rules the ledger evaluated with"
            f" (sha256 {package.get('rules_sha256')}): use the ledger's version of the file"
        )
    return (
        header
        + lines
        + [
            f"events {package['start']} to {events[-1].position} hold to the signed checkpoint at"
            f" {events[-1].position} ({len(package['checkpoints'])} checkpoints in the package,"
            f" {len(trusted)} trusted)"
        ]
    )


def read_key(text: str) -> Ed25519PublicKey:
    """A public key: raw 32 bytes in base64, or a file holding that or a PEM key."""
    path = Path(text)
    data = path.read_bytes().strip() if len(text) < 4096 and path.is_file() else text.encode()
    try:
        if data.startswith(b"-----BEGIN"):
            key = load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise UnusableError("the key is not an Ed25519 public key")
            return key
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data, validate=True))
    except (ValueError, binascii.Error) as error:
        raise UnusableError(f"the public key cannot be read: {error}") from None


def read_package(path: str) -> dict[str, Any]:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    found = json.loads(data)
    if not isinstance(found, dict):
        raise UnusableError("a package is one JSON object")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("package")
    parser.add_argument("--public-key", required=True, metavar="KEY")
    parser.add_argument(
        "--trusted", action="append", default=[], metavar="FILE", help="checkpoints you kept"
    )
    args = parser.parse_args()
    try:
        key = read_key(args.public_key)
        package = read_package(args.package)
        trusted = [cp for path in args.trusted for cp in read_trusted(path)]
        printed = check(package, key, trusted)
    except FailedError as failure:
        print(f"FAILED: {failure}")
        return FAILED
    except (UnusableError, OSError, ValueError, KeyError, TypeError, EOFError) as error:
        print(f"UNUSABLE: {error}")
        return UNUSABLE
    print("\n".join(printed))
    print("OK: the events are those the ledger sealed, and every line of the claim is reproduced")
    return OK


if __name__ == "__main__":
    sys.exit(main())
