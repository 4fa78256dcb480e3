"""SNILS numbers for tests: a SNILS is unique to one person, so each registration needs its own."""

from __future__ import annotations

import random


def snils_of(number: int) -> str:
    """The SNILS of a nine-digit number above 001-001-998, with its check sum, as written."""
    digits = f"{number:09d}"
    total = sum(int(d) * weight for d, weight in zip(digits, range(9, 0, -1), strict=True))
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]} {total % 101 % 100:02d}"


def a_snils() -> str:
    """A valid SNILS no other test person is likely to have."""
    return snils_of(random.randrange(2_000_000, 999_999_999))
