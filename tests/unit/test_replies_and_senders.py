"""SMS replies read in nl, fr, de and en whatever the case, accents and punctuation; and the sender each destination
gets (Belgium needs a numeric one, the Netherlands takes the alphanumeric)."""
import pytest
from hypothesis import given, strategies as st

from practice.replies import Meaning, meaning_of, normalised
from practice.sender_rules import needs_numeric_sender, sender_for

ALL = frozenset(Meaning)


@pytest.mark.parametrize("text, meaning", [
    ("STOP", Meaning.STOP), ("stop", Meaning.STOP), ("Stopp", Meaning.STOP), ("ARRÊT", Meaning.STOP),
    ("arrêt", Meaning.STOP), ("Stoppen!", Meaning.STOP), ("STOP graag", Meaning.STOP), (" stop. ", Meaning.STOP),
    ("ja", Meaning.CONFIRM), ("JA", Meaning.CONFIRM), ("Ja!", Meaning.CONFIRM), ("yes", Meaning.CONFIRM),
    ("Oui", Meaning.CONFIRM), ("OUI !", Meaning.CONFIRM), ("Ja bitte", Meaning.CONFIRM), ("ja, graag", Meaning.CONFIRM),
    ("nee", Meaning.DECLINE), ("NEE", Meaning.DECLINE), ("No", Meaning.DECLINE), ("non", Meaning.DECLINE),
    ("Nein.", Meaning.DECLINE), ("kan niet", Meaning.DECLINE),
    ("Ja maar ik kom iets later", Meaning.OTHER), ("Kan ik om 11 uur komen?", Meaning.OTHER), ("", Meaning.OTHER),
    ("nonsense", Meaning.OTHER), ("stopcontact kapot", Meaning.OTHER), ("Jaja", Meaning.OTHER),
])
def test_a_reply_means_what_a_client_meant_in_any_language_case_and_accent(text, meaning):
    assert meaning_of(text, ALL) == meaning


def test_a_keyword_that_is_switched_off_lands_in_the_inbox():
    assert meaning_of("ja", frozenset({Meaning.STOP})) == Meaning.OTHER
    assert meaning_of("STOP", frozenset({Meaning.CONFIRM})) == Meaning.OTHER


@given(st.sampled_from(["stop", "arrêt", "stopp", "stoppen"]), st.text(" .!?", max_size=3), st.booleans())
def test_stop_is_stop_whatever_surrounds_it(word, noise, upper):
    text = f"{noise}{word.upper() if upper else word}{noise}"
    assert meaning_of(text, ALL) == Meaning.STOP


@given(st.text(max_size=60))
def test_any_text_reads_as_one_meaning_and_normalising_twice_changes_nothing(text):
    assert meaning_of(text, ALL) in set(Meaning)
    assert normalised(normalised(text)) == normalised(text)


def test_a_belgian_number_gets_the_numeric_sender_and_a_dutch_one_the_alphanumeric():
    assert needs_numeric_sender("+32470123456") and not needs_numeric_sender("+31612345678")
    assert sender_for("+32470123456", "FysioZuid", "+31201234567") == "+31201234567"
    assert sender_for("+31612345678", "FysioZuid", "+31201234567") == "FysioZuid"
    assert sender_for("+4915112345678", "FysioZuid", "+31201234567") == "FysioZuid"
    assert sender_for("+31612345678", "FysioZuid", "+31201234567", replies_on=True) == "+31201234567"
    assert sender_for("+32470123456", "FysioZuid", "") == "FysioZuid"  # no numeric sender set: the only one there is
    assert sender_for("+12025550123", "", "+31201234567") == "+31201234567"


def test_the_sentence_that_tells_clients_how_to_reply_names_only_the_keywords_on():
    from practice.replies import how_to_reply, switched_on

    assert how_to_reply("nl", switched_on("stop,confirm,decline")) == (
        "Antwoord JA om te bevestigen, NEE als u niet kunt of STOP voor geen sms meer.")
    assert how_to_reply("fr", switched_on("confirm")) == "Répondez OUI pour confirmer."
    assert how_to_reply("de", switched_on("stop,unknown")) == "Antworten Sie STOPP für keine SMS mehr."
    assert how_to_reply("en", switched_on("")) == ""

