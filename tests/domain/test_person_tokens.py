"""Name words one typo apart share a token, however the typo falls."""

from __future__ import annotations

import pytest

from domain.person_tokens import name_words, word_tokens


def tokens_of(name: str) -> set[str]:
    return {token for word in name_words(name) for token, _ in word_tokens(word)}


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("Никиина", "Никитина"),  # the т missing leaves "ii", spelled as one i
        ("Соокина", "Сорокина"),  # the r missing leaves "oo"
        ("Аанасьева", "Афанасьева"),
        ("Ивнова", "Иванова"),
        ("Ivonova", "Иванова"),  # another script, a letter wrong
        ("Аннушкина", "Анушкина"),  # a double letter typed where one was recorded
    ],
)
def test_a_word_one_letter_off_shares_a_token_with_the_recorded_one(
    typed: str, recorded: str
) -> None:
    assert tokens_of(typed) & tokens_of(recorded)


@pytest.mark.parametrize(("typed", "recorded"), [("Никина", "Никитенко"), ("Сокол", "Сорокина")])
def test_a_word_two_letters_off_shares_none(typed: str, recorded: str) -> None:
    assert not tokens_of(typed) & tokens_of(recorded)
