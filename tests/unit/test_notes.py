"""A message's history and error are stored as notes (a code, its arguments, then what came from outside) and read
in words when shown: our words translate, the outside text stays as it was received, old sentences stay readable."""
import re

from hypothesis import given
from hypothesis import strategies as st

from practice.enums import Note, NotSentReason, in_words, noted

KNOWN = {*Note, *NotSentReason}


def test_every_code_is_one_word_of_its_own_and_its_label_names_its_arguments():
    assert len({str(code) for code in KNOWN}) == len(list(Note)) + len(list(NotSentReason))
    for note in Note:
        assert re.fullmatch(r"[a-z0-9-]+", note.value), note
        assert set(re.findall(r"%\((\w+)\)s", str(note.label))) == set(note.arguments), note


def test_a_failed_attempt_reads_as_our_words_then_the_servers_answer_as_it_came():
    stored = noted(Note.ATTEMPT_FAILED, 2, 5, then=noted(Note.MAIL_NOT_NOW, then="421 4.3.2 Service not available"))
    assert stored == "attempt-failed 2 5: smtp-not-now: 421 4.3.2 Service not available"
    assert in_words(stored) == ("attempt 2 failed; next try in 5 min: the mail server could not take the message "
                                "now: 421 4.3.2 Service not available")


def test_in_doubt_and_not_sent_again_names_the_reason_in_words():
    stored = noted(Note.IN_DOUBT_NOT_SENT, then=noted(NotSentReason.TOO_LATE))
    assert stored == "in-doubt-not-sent: too_late"
    assert in_words(stored) == "in doubt since an earlier attempt; not sent again: too late: the appointment had begun"


def test_old_sentences_and_reports_from_outside_are_shown_as_they_are():
    for stored in ("in doubt: the worker stopped while the gateway answered; not sent again, the delivery report will "
                   "tell", "resent after an unclear hand-over", "id:0123 sub:001 dlvrd:000 stat:UNDELIV err:001",
                   "attempt-failed 1: a note with one argument too few", ""):
        assert in_words(stored) == stored
    assert in_words("no_consent") == "no SMS consent"  # a reason alone, as old rows have it


codes_without_arguments = st.sampled_from([note for note in KNOWN if not getattr(note, "arguments", ())])
outside = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).filter(
    lambda text: text.partition(": ")[0].split(" ")[0] not in KNOWN)


@given(codes_without_arguments, outside)
def test_whatever_came_from_outside_follows_our_words_unchanged(code, text):
    said = in_words(noted(code, then=text))
    assert said == (f"{code.label}: {text}" if text else str(code.label))


@given(outside)
def test_a_text_that_is_not_a_note_is_shown_as_it_is(text):
    assert in_words(text) == text
