"""Finding a client the way people type: names without accents or case, numbers in any notation."""
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.search_text import LONGEST, normalised, search_text_of, terms_of

ZOE = search_text_of("Zoë", "Dupont-Çelik", "zoe.dupont@example.be", "+32470123456")


def found(query: str, text: str = ZOE, region: str = "BE") -> bool:
    terms = terms_of(query, region)
    return all(term in text for term in terms)


@pytest.mark.parametrize("query", ["celik", "Çelik", "CELIK", "zoe", "Zoë", "dupont-ç", "zoe celik", "zoe.dupont@",
                                   "example.be", "0470 12 34 56", "+32 470 12 34 56", "+32470123456", "470123456",
                                   "0032 470 12 34 56", "0470/12.34.56", "12 34 56", "celik 0470"])
def test_zoe_dupont_celik_is_found_by_what_people_type(query):
    assert found(query), terms_of(query, "BE")


@pytest.mark.parametrize("query", ["celiks", "anna", "0470 12 34 57", "+31 470 12 34 56", "zoe anna"])
def test_what_does_not_fit_finds_nothing(query):
    assert not found(query), terms_of(query, "BE")


@pytest.mark.parametrize("name, typed", [("Łukasz", "lukasz"), ("Søren", "soren"), ("Straße", "strasse"),
                                         ("Ærø", "aero"), ("İpek", "ipek"), ("Ğül", "gul"), ("Ňuñez", "nunez")])
def test_letters_with_their_own_marks_are_found_by_the_plain_letter(name, typed):
    assert found(typed, search_text_of("", name, "", ""))


def test_a_dutch_mobile_typed_at_a_belgian_practice_is_found_by_its_national_digits():
    assert found("06 12 34 56 78", search_text_of("Anna", "de Vries", "", "+31612345678"), "BE")


def test_the_text_starts_with_the_last_name_so_it_orders_by_name():
    assert ZOE.startswith("dupont-celik zoe ")


def test_an_absurdly_long_name_stays_within_the_column():
    assert len(search_text_of("\ufdfa" * 80, "\ufdfa" * 80, "a" * 254, "+32470123456")) <= LONGEST


@settings(max_examples=500)
@given(st.text())
def test_normalising_twice_changes_nothing(text):
    once = normalised(text)
    assert normalised(once) == once


# Latin letters with a mark on top or below: what names are written with.
MARKS = [chr(code) for code in range(0x0300, 0x0370) if unicodedata.category(chr(code)) == "Mn"]
plain_names = st.text(alphabet=string.ascii_letters + " -'", min_size=1, max_size=30).filter(str.strip)


@st.composite
def accented(draw):
    """A plain name, and the same name with marks on some of its letters (composed, as people's keyboards write
    them where a composed letter exists)."""
    plain = draw(plain_names)
    letters = [letter + (draw(st.sampled_from(MARKS)) if letter.isalpha() and draw(st.booleans()) else "")
               for letter in plain]
    return plain, unicodedata.normalize("NFC", "".join(letters))


@settings(max_examples=500)
@given(accented(), st.data())
def test_every_accented_name_is_found_by_its_unaccented_form_and_any_part_of_it(names, data):
    plain, written = names
    text = search_text_of("", written, "", "")
    assert found(plain, text)
    start = data.draw(st.integers(0, len(plain) - 1))
    part = plain[start:data.draw(st.integers(start + 1, len(plain)))]
    assert found(part, text)
    assert found(plain.upper(), text) and found(written, text)
