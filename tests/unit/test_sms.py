"""SMS encoding, segments and parts (3GPP TS 23.038 / 23.040), by hand at the boundaries and by property."""
import dataclasses
import math
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practice.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Measure,
    cost_cents,
    is_valid_sender_id,
    measure,
    split,
    unicode_characters,
)

EMOJI = "\U0001F600"  # outside the BMP: a UTF-16 surrogate pair, 2 UCS-2 units
EURO = "\u20ac"  # extension table: ESC + septet, 2 septets
SMALL_C_CEDILLA = "\u00e7"  # in neither GSM table: forces UCS-2


# --- the tables, against TS 23.038 §6.2.1 and §6.2.1.1 -------------------------------------------

def test_the_default_alphabet_has_127_characters_because_esc_is_not_one():
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC


def test_the_default_alphabet_holds_the_characters_of_the_standard():
    expected = (
        "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
        "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9"
        " !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
        "\u00a1" + string.ascii_uppercase + "\u00c4\u00d6\u00d1\u00dc\u00a7"
        "\u00bf" + string.ascii_lowercase + "\u00e4\u00f6\u00f1\u00fc\u00e0"
    )
    assert len(expected) == 127
    assert GSM7_BASIC == frozenset(expected)


def test_the_extension_table_is_form_feed_and_nine_symbols():
    assert GSM7_EXTENSION == frozenset("\f^{}\\[~]|\u20ac")
    assert not GSM7_EXTENSION & GSM7_BASIC


def test_printable_ascii_is_gsm7_except_the_backtick():
    outside = {char for char in string.printable if char not in GSM7_BASIC | GSM7_EXTENSION}
    assert outside == {"`", "\t", "\x0b"}
    assert measure("`").encoding == "UCS-2"


def test_capital_c_cedilla_is_gsm7_but_small_is_not():
    assert measure("\u00c7").encoding == "GSM-7"
    assert measure(SMALL_C_CEDILLA).encoding == "UCS-2"


def test_an_escape_character_in_the_text_is_not_gsm7():
    assert measure("a\x1bb").encoding == "UCS-2"
    assert unicode_characters("a\x1bb") == ["\x1b"]


def test_greek_capitals_that_look_latin_are_not_gsm7():
    assert measure("\u0391").encoding == "UCS-2"  # GREEK CAPITAL LETTER ALPHA, looks like A
    assert measure("\u2126").encoding == "UCS-2"  # OHM SIGN; the alphabet has GREEK CAPITAL OMEGA


# --- GSM-7 boundaries ----------------------------------------------------------------------------

@pytest.mark.parametrize(("length", "segments"), [
    (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4),
])
def test_gsm7_text_fits_160_septets_in_one_segment_and_153_in_each_of_several(length, segments):
    measured = measure("a" * length)
    assert (measured.encoding, measured.units, measured.segments) == ("GSM-7", length, segments)


def test_the_capacity_per_segment_drops_to_153_when_a_gsm7_text_needs_two():
    assert measure("a" * 160).per_segment == 160
    assert measure("a" * 161).per_segment == 153


def test_an_extension_character_costs_two_septets():
    measured = measure(EURO)
    assert (measured.encoding, measured.units, measured.characters, measured.segments) == ("GSM-7", 2, 1, 1)


def test_eighty_euro_signs_fill_one_segment_and_eighty_one_need_two():
    assert (measure(EURO * 80).units, measure(EURO * 80).segments) == (160, 1)
    assert (measure(EURO * 81).units, measure(EURO * 81).segments) == (162, 2)


def test_every_extension_character_counts_two_septets():
    text = "".join(sorted(GSM7_EXTENSION))
    assert measure(text).units == 2 * len(GSM7_EXTENSION)


def test_an_escape_pair_straddling_the_153_boundary_moves_to_the_next_segment():
    text = "a" * 152 + EURO + "a" * 152  # 306 septets: ceil(306 / 153) would say 2
    parts = split(text)
    assert [len(part) for part in parts] == [152, 152, 1]
    assert parts[1].startswith(EURO)
    assert measure(text).units == 306
    assert measure(text).segments == 3


def test_an_escape_pair_that_ends_exactly_on_the_boundary_stays_in_its_segment():
    text = "a" * 151 + EURO + "a" * 153  # 153 + 153 septets
    assert [len(part) for part in split(text)] == [152, 153]
    assert measure(text).segments == 2


def test_crlf_counts_two_septets():
    measured = measure("\r\n")
    assert (measured.encoding, measured.units, measured.characters) == ("GSM-7", 2, 2)


def test_text_is_counted_exactly_as_given_without_stripping():
    assert measure("  hallo \n").units == 9
    assert measure("a" * 159 + " ").segments == 1
    assert measure("a" * 160 + " ").segments == 2


# --- UCS-2 boundaries ----------------------------------------------------------------------------

@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_ucs2_text_fits_70_units_in_one_segment_and_67_in_each_of_several(length, segments):
    measured = measure(SMALL_C_CEDILLA * length)
    assert (measured.encoding, measured.units, measured.segments) == ("UCS-2", length, segments)
    assert measured.per_segment == (70 if segments == 1 else 67)


def test_one_unicode_character_turns_the_whole_text_into_ucs2():
    text = "a" * 100 + SMALL_C_CEDILLA
    assert measure("a" * 100).segments == 1
    assert (measure(text).encoding, measure(text).units, measure(text).segments) == ("UCS-2", 101, 2)


def test_extension_characters_cost_one_unit_in_ucs2():
    assert measure(EURO + SMALL_C_CEDILLA).units == 2


def test_an_emoji_counts_one_character_but_two_units():
    measured = measure(EMOJI)
    assert (measured.encoding, measured.units, measured.characters) == ("UCS-2", 2, 1)


def test_thirty_five_emoji_fill_one_segment_and_thirty_six_need_two():
    assert (measure(EMOJI * 35).units, measure(EMOJI * 35).segments) == (70, 1)
    assert [len(part) for part in split(EMOJI * 36)] == [33, 3]


def test_a_surrogate_pair_straddling_the_67_boundary_moves_to_the_next_segment():
    text = SMALL_C_CEDILLA + "a" * 65 + EMOJI + "a" * 66  # 134 units: ceil(134 / 67) would say 2
    parts = split(text)
    assert [len(part) for part in parts] == [66, 66, 1]
    assert parts[1].startswith(EMOJI)
    assert measure(text).units == 134
    assert measure(text).segments == 3


# --- empty text, the record, and the characters to highlight ---------------------------------------

def test_empty_text_is_zero_gsm7_segments():
    assert measure("") == Measure(encoding="GSM-7", units=0, segments=0, characters=0, per_segment=160)
    assert split("") == []


def test_a_measure_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        measure("hallo").segments = 0


def test_unicode_characters_lists_each_offender_once_in_order_of_appearance():
    text = f"Hallo {SMALL_C_CEDILLA}{EMOJI} {EURO} {SMALL_C_CEDILLA}`"
    assert unicode_characters(text) == [SMALL_C_CEDILLA, EMOJI, "`"]


def test_gsm7_text_has_no_unicode_characters():
    assert unicode_characters("Tot ziens! \u00c7a va? \u20ac 12,50 [ok]") == []
    assert unicode_characters("") == []


# --- sender id and cost --------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "ABC", "Fysio", "FysioTest1", "Praktijk123", "1Fysio", "123", "0612345678", "31612345678",
    "+31612345678", "1234567890123456", "+1234567890123456",
])
def test_a_sender_id_of_ascii_letters_and_digits_or_a_phone_number_is_valid(value):
    assert is_valid_sender_id(value)


@pytest.mark.parametrize("value", [
    "", "AB", "12", "+12", "Fysio Test", "FysioPraktijk", "Fysio-Test", "Caf\u00e9", "Fysio\n", "\uff26ysio",
    "12345678901234567", "+12345678901234567", "+", "++123", "+31 6 12345678", "+Fysio", "\u0661\u0662\u0663",
])
def test_a_sender_id_with_spaces_symbols_or_the_wrong_length_is_invalid(value):
    assert not is_valid_sender_id(value)


def test_cost_is_segments_times_the_price_in_cents():
    assert cost_cents(3, 10) == 30
    assert cost_cents(0, 10) == 0


@pytest.mark.parametrize(("segments", "price"), [(-1, 10), (1, -10)])
def test_cost_rejects_negative_segments_or_prices(segments, price):
    with pytest.raises(ValueError):
        cost_cents(segments, price)


# --- properties ----------------------------------------------------------------------------------

# Characters from every class: basic, extension, BMP outside GSM-7, and astral (surrogate pairs).
OUTSIDE_GSM7 = [SMALL_C_CEDILLA, "\u0142", "`", EMOJI, "\U0001D11E"]
MIXED = st.sampled_from(sorted(GSM7_BASIC) + sorted(GSM7_EXTENSION) + OUTSIDE_GSM7)
BASIC = st.sampled_from(sorted(GSM7_BASIC))


def texts(alphabet, max_size=700):
    """Texts of lengths spread evenly up to max_size, so the segment boundaries are crossed often."""
    return st.integers(0, max_size).flatmap(lambda n: st.text(alphabet, min_size=n, max_size=n))


ANY_TEXT = st.one_of(texts(MIXED), texts(BASIC | st.sampled_from(sorted(GSM7_EXTENSION))), st.text())


def units_of(part: str, encoding: str) -> int:
    """An independent count: septets from the tables, UCS-2 units from Python's UTF-16 encoder."""
    if encoding == "GSM-7":
        return len(part) + sum(char in GSM7_EXTENSION for char in part)
    return len(part.encode("utf-16-le")) // 2


@given(ANY_TEXT, MIXED | st.characters())
def test_appending_a_character_never_lowers_the_segment_count(text, char):
    assert measure(text + char).segments >= measure(text).segments


@given(ANY_TEXT)
def test_the_parts_join_back_into_the_text(text):
    assert "".join(split(text)) == text


@given(ANY_TEXT)
def test_the_number_of_parts_is_the_number_of_segments(text):
    assert len(split(text)) == measure(text).segments


@given(ANY_TEXT)
def test_every_part_fits_its_capacity_and_every_part_but_the_last_is_full(text):
    measured, parts = measure(text), split(text)
    for part, following in zip(parts, parts[1:] + [None]):
        assert units_of(part, measured.encoding) <= measured.per_segment
        assert part  # no empty parts
        if following is not None:  # greedy: the next character would not have fitted
            assert units_of(part + following[0], measured.encoding) > measured.per_segment


@given(ANY_TEXT)
def test_units_are_septets_for_gsm7_and_utf16_code_units_for_ucs2(text):
    measured = measure(text)
    assert measured.units == units_of(text, measured.encoding)
    assert measured.characters == len(text)
    assert (measured.encoding == "UCS-2") == bool(unicode_characters(text))


@given(ANY_TEXT)
def test_there_are_no_segments_exactly_when_the_text_is_empty(text):
    assert (measure(text).segments == 0) == (text == "")


@given(texts(BASIC))
def test_basic_gsm7_text_needs_one_segment_up_to_160_and_then_one_per_153(text):
    n = len(text)
    assert measure(text).segments == (0 if n == 0 else 1 if n <= 160 else math.ceil(n / 153))
