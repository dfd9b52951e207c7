"""Finding a client the way people type: one normalised text per client (name, e-mail, mobile digits) and the terms
a typed query becomes, both without accents or case, so that "celik" finds "Çelik" and "0470 12 34 56" finds
+32470123456. Pure: the database only checks that every term is contained in the text."""
import unicodedata

import phonenumbers

# Letters that carry their mark inside the letter itself, so NFKD leaves them whole; people type them without.
# (ß needs no entry: casefold makes it "ss".)
PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "þ": "th", "æ": "ae",
                               "œ": "oe"})
PHONE_CHARACTERS = frozenset("0123456789+-./() ")
LONGEST = 600  # the column's length: a pathological name must not push the text past what an index entry holds
WORDS = 5  # a query's first words are enough to find anyone


def normalised(text: str) -> str:
    """Lower case without accents: compatibility decomposition (NFKD), case folding, combining marks dropped."""
    # Marks go before folding too: folding turns some (the Greek ypogegrammeni) into letters.
    folded = unicodedata.normalize("NFKD", _without_marks(unicodedata.normalize("NFKD", text)).casefold())
    return _without_marks(folded).translate(PLAIN_LETTERS)


def _without_marks(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def search_text_of(first_name: str, last_name: str, email: str, mobile: str) -> str:
    """What a client is found by; it starts with the last name, so ordering by it orders by name."""
    digits = mobile.lstrip("+")  # E.164: the country code and the national significant number
    parts = (normalised(last_name)[:160], normalised(first_name)[:160], digits, normalised(email)[:260])
    return " ".join(part for part in parts if part)[:LONGEST]


def terms_of(query: str, region: str) -> list[str]:
    """The parts of a query that must all be found in a client's search text.

    A query of digits and phone punctuation is one phone number, in any notation; anything else is words, each
    normalised, and a word of digits among them is a piece of a number."""
    query = query.strip()[:200]
    if _is_phone_number(query):
        return [number_digits(query, region)]
    return [number_digits(word, region) if _is_phone_number(word) else normalised(word)
            for word in query.split()[:WORDS]]


def number_digits(written: str, region: str) -> str:
    """The digits a number typed in any notation is found by: with its country code when it was typed
    (+32 470 12 34 56, 0032470123456 → 32470123456), else its national significant number, read with the
    practice's country as default region (0470 12 34 56 → 470123456), which also finds a foreign number typed
    without its country code. A piece of a number is its digits without the zeros of a trunk or international
    prefix."""
    try:
        number = phonenumbers.parse(written, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        national = phonenumbers.national_significant_number(number)
        typed_with_country = number.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        return f"{number.country_code}{national}" if typed_with_country else national
    return "".join(ch for ch in written if ch in "0123456789").lstrip("0")


def _is_phone_number(text: str) -> bool:
    return set(text) <= PHONE_CHARACTERS and sum(ch.isdigit() for ch in text) >= 3
