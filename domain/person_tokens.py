"""What a person is found by: the normalised tokens of their name, birth date, SNILS and phone.

Names are folded to one Latin spelling whatever the script: Cyrillic is transliterated, then
both go through the same spelling rules (yo and ye letters alike; short i, yery, y and j as i;
kh as h, ts as c, x as ks, double letters as one), so a Cyrillic name, its transliteration and
the name typed with Latin lookalike letters are one word. Hyphenated and double surnames are
split into their parts. Typo tolerance is the symmetric delete neighbourhood of each word of
four letters or more: two words one edit apart (a letter missing, extra, wrong, or two swapped)
share a spelling with at most one letter deleted. A person is indexed under their words
(`person_tokens`); each word's variants point to the word (`word_variants`), once however many
people hold it, so a typed word finds the words one edit from it, then their people: a common
given name's people are read once, not once per variant. It was chosen over character trigrams
for its short lists: a trigram like "ova" is in a third of Russian surnames, while a deletion
variant names a handful of words (ops/bench/DECISIONS.md).

Tokens are plain text here; the store keys them (a blind index, store/person_index.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.personal_data import InvalidSnilsError, normalise_snils

# The Latin of each letter of the Cyrillic alphabet below, in order.
LATIN_OF = "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch - y - e iu ia"
CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", LATIN_OF.split(" "), strict=True))
# Latin letters that look like Cyrillic ones, typed by a keyboard on the wrong layout.
LOOKALIKES = str.maketrans("aceopxyk", "асеорхук")
# Applied in order to a transliterated word: the spellings of one sound made one.
SPELLINGS = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("tz", "c"), ("ts", "c"),
    ("ph", "f"), ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"),
    ("ya", "ia"), ("ja", "ia"), ("yu", "iu"), ("ju", "iu"), ("ye", "e"), ("je", "e"),
    ("yo", "e"), ("jo", "e"), ("y", "i"), ("j", "i"),
)  # fmt: skip
DOUBLE = re.compile(r"(.)\1+")
WORD = re.compile(r"[^\W\d_]+")
# Words this long or longer are matched one edit apart; shorter ones only exactly.
FUZZY_FROM = 4
DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
# A SNILS as written (112-233-445 95), a phone (+7 (912) 345-67-89), or any run of digits.
DIGITS = re.compile(
    r"\d{3}-\d{3}-\d{3}[ -]\d{2}(?!\d)"
    r"|\+?[78]?[\s(-]*\d{3}[\s)-]*\d{3}[\s-]?\d{2}[\s-]?\d{2}(?!\d)"
    r"|\d{6,}"
)
# Query words beyond this many are ignored: a name has few parts.
MAX_WORDS = 6

EXACT, FUZZY = 2, 1


def spelled(word: str) -> str:
    """One Latin spelling of a name's word, whichever script and transliteration it came in."""
    word = unicodedata.normalize("NFKC", word).lower()
    if any("\u0400" <= ch <= "\u04ff" for ch in word):
        word = word.translate(LOOKALIKES)  # a mixed word is Cyrillic with Latin lookalikes
    word = "".join(CYRILLIC.get(ch, ch) for ch in word).replace("-", "")
    word = "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )
    for spelling, one in SPELLINGS:
        word = word.replace(spelling, one)
    return DOUBLE.sub(r"\1", word)


def name_words(name: str) -> list[str]:
    """The words of a name (parts of hyphenated and double surnames apart), spelled as one."""
    words = (spelled(word) for word in WORD.findall(name))
    return [word for word in words if word]


def _deletions(word: str) -> set[str]:
    """A word and its spellings with one letter deleted, double letters made one again (as in
    `spelled`): "nikitina" less its t is "nikina", as "Никиина" typed is spelled."""
    return {DOUBLE.sub(r"\1", word[:i] + word[i + 1 :]) for i in range(len(word))} | {word}


def word_tokens(word: str) -> list[tuple[str, int]]:
    """What a typed word asks for, with weights: the word itself, and its variants (words of
    four letters or more), which stand for every word one edit from it."""
    tokens = [(f"w:{word}", EXACT)]
    if len(word) >= FUZZY_FROM:
        tokens += [(f"x:{variant}", FUZZY) for variant in sorted(_deletions(word))]
    return tokens


def phone_digits(phone: str) -> str | None:
    """A Russian phone number as 7 and ten digits (from +7, 8 or none); other numbers as given."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    if len(digits) == 10:
        return "7" + digits
    return digits if len(digits) >= 6 else None


def _birth_date(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10] if value else None


def lookalike_token(fields: Mapping[str, Any]) -> str | None:
    """Name and birth date as one token: people sharing it may be one person recorded twice."""
    born = _birth_date(fields.get("birth_date"))
    words = name_words(str(fields.get("full_name") or ""))
    if not born or not words:
        return None
    return f"l:{' '.join(sorted(words))}|{born}"


def person_tokens(fields: Mapping[str, Any]) -> set[str]:
    """Every token a person is indexed under, from their personal data: the words of their
    name, birth date, SNILS, phone, and name with birth date (look-alikes)."""
    tokens = {f"w:{word}" for word in name_words(str(fields.get("full_name") or ""))}
    born = _birth_date(fields.get("birth_date"))
    if born:
        tokens.add(f"d:{born}")
    if fields.get("snils"):
        tokens.add(f"s:{fields['snils']}")
    phone = phone_digits(str(fields.get("phone") or ""))
    if phone:
        tokens.add(f"p:{phone}")
    lookalike = lookalike_token(fields)
    if lookalike:
        tokens.add(lookalike)
    return tokens


def word_variants(fields: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(variant, word) of each word of the name long enough to be matched one edit apart."""
    return {
        (token, f"w:{word}")
        for word in name_words(str(fields.get("full_name") or ""))
        for token, weight in word_tokens(word)
        if weight == FUZZY
    }


@dataclass(frozen=True)
class QueryPart:
    """One thing the caseworker typed (a word, a date, a number) and the tokens that match it."""

    field: str
    tokens: tuple[tuple[str, int], ...]


def query_parts(text: str) -> list[QueryPart]:
    """What a search text asks for: dates, SNILS or phone numbers, and the words of a name."""
    parts: list[QueryPart] = []
    for found in DATE.finditer(text):
        year, month, day = (found[1], found[2], found[3]) if found[1] else found.group(6, 5, 4)
        try:
            born = date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            continue
        parts.append(QueryPart("birth_date", ((f"d:{born}", EXACT),)))
    text = DATE.sub(" ", text)
    for found in DIGITS.finditer(text):
        parts.extend(_number(found[0]))
    text = DIGITS.sub(" ", text)
    for word in name_words(text)[:MAX_WORDS]:
        parts.append(QueryPart("full_name", tuple(word_tokens(word))))
    return parts


def _number(number: str) -> Iterable[QueryPart]:
    """A number typed is a SNILS if it is one, and may be a phone either way."""
    try:
        snils = normalise_snils(number.lstrip("+"))
    except InvalidSnilsError:
        snils = None
    if snils:
        yield QueryPart("snils", ((f"s:{snils}", EXACT),))
    phone = phone_digits(number)
    if phone:
        yield QueryPart("phone", ((f"p:{phone}", EXACT),))
