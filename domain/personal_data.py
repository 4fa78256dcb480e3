"""Personal data of a participant, in its own stream so that it alone is encrypted and erased."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import (
    Actor,
    DomainError,
    InvalidValueError,
    LedgerAggregate,
    check_occurred_on,
    stable_topics,
    stamp,
)

PERSONAL_DATA_NAMESPACE = uuid5(NAMESPACE_URL, "urn:ledger:personal-data")
FIELDS = ("full_name", "birth_date", "snils", "phone", "address")
# SNILS numbers up to this one carry no meaningful check sum (Pension Fund rule).
SNILS_UNCHECKED_UP_TO = 1_001_998


class InvalidSnilsError(InvalidValueError):
    """A SNILS number whose check sum does not match."""

    rule = "snils_checksum"


class DuplicatePersonError(DomainError):
    """A person with this SNILS is already registered."""

    rule = "duplicate_person"

    def __init__(self, existing_id: UUID | None) -> None:
        named = f": participant {existing_id}" if existing_id is not None else ""
        super().__init__(
            f"a person with this SNILS is already registered{named}; find them by SNILS"
            " (POST /v1/participants/search) instead of registering them again"
        )
        self.existing_id = existing_id

    def unnamed(self) -> DuplicatePersonError:
        """The same refusal, naming nobody: for a caller who may not see the existing person."""
        return DuplicatePersonError(None)


def personal_data_id_for(participant_id: UUID) -> UUID:
    """The stream id derives from the participant id, never from the data itself."""
    return uuid5(PERSONAL_DATA_NAMESPACE, participant_id.hex)


def normalise_snils(snils: str) -> str:
    """Return the 11 digits of a SNILS ("112-233-445 95") after checking its check sum."""
    digits = re.sub(r"[\s-]", "", snils)
    if not re.fullmatch(r"\d{11}", digits):
        raise InvalidSnilsError("SNILS has 11 digits")
    number, check = digits[:9], int(digits[9:])
    if int(number) > SNILS_UNCHECKED_UP_TO:
        total = sum(int(d) * weight for d, weight in zip(number, range(9, 0, -1), strict=True))
        expected = total % 101 % 100
        if check != expected:
            raise InvalidSnilsError("SNILS check sum does not match")
    return digits


def _checked(fields: dict[str, Any], today: date) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise InvalidValueError(f"unknown personal data fields: {sorted(unknown)}")
    checked = dict(fields)
    if "full_name" in checked and not str(checked["full_name"]).strip():
        raise InvalidValueError("full_name must not be empty")
    if checked.get("snils"):
        checked["snils"] = normalise_snils(checked["snils"])
    birth_date = checked.get("birth_date")
    if birth_date is not None and not date(1900, 1, 1) <= birth_date <= today:
        raise InvalidValueError("birth_date is not plausible")
    return checked


@stable_topics("PersonalData")
class PersonalData(LedgerAggregate):
    """Name, birth date, SNILS, phone and address of one participant."""

    # Never held in memory beyond a command: erasure must leave no readable copy behind.
    remembered = False

    def __init__(self, participant_id: UUID, fields: dict[str, Any]) -> None:
        self.participant_id = participant_id
        self.fields = fields

    class Recorded(LedgerAggregate.Created):
        participant_id: UUID
        fields: dict[str, Any]

    class Corrected(LedgerAggregate.Event):
        changes: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.fields = {**aggregate.fields, **self.changes}

    @classmethod
    def record(
        cls, *, participant_id: UUID, fields: dict[str, Any], by: Actor, today: date
    ) -> PersonalData:
        if "full_name" not in fields:
            raise InvalidValueError("full_name is required")
        return cls._create(
            cls.Recorded,
            id=personal_data_id_for(participant_id),
            participant_id=participant_id,
            fields=_checked(fields, today),
            **stamp(by, today),
        )

    def correct(
        self, changes: dict[str, Any], reason: str, occurred_on: date, by: Actor, today: date
    ) -> None:
        check_occurred_on(occurred_on, today)
        if not changes:
            raise InvalidValueError("a correction changes at least one field")
        if not reason.strip():
            raise InvalidValueError("a correction needs a reason")
        self.trigger_event(
            self.Corrected,
            changes=_checked(changes, today),
            reason=reason,
            **stamp(by, occurred_on),
        )
