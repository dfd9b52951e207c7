"""SMS length rules (3GPP TS 23.038, TS 23.040): GSM-7 or UCS-2, units, segments and the parts as sent.
Pure: standard library only, so the editor, the sender and the message log all count the same way."""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "GSM7",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "UCS2",
    "Measure",
    "cost_cents",
    "is_valid_sender_id",
    "measure",
    "split",
    "unicode_characters",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# TS 23.038 §6.2.1: the GSM 7 bit default alphabet, in septet order 0x00..0x7F (8 rows of 16).
# 0x1B is ESC, the switch to the extension table, not a character: text containing it is not GSM-7.
_ESC = "\x1b"
_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00; 0x09 is capital Ç (small ç is not in the alphabet)
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10; Greek capitals, ESC at 0x1B
    " !\"#¤%&'()*+,-./"  # 0x20; ¤ (currency sign) where ASCII has $
    "0123456789:;<=>?"  # 0x30
    "¡ABCDEFGHIJKLMNO"  # 0x40; ¡ where ASCII has @
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50
    "¿abcdefghijklmno"  # 0x60; ¿ where ASCII has `
    "pqrstuvwxyzäöñüà"  # 0x70
)
GSM7_BASIC: frozenset[str] = frozenset(_DEFAULT_ALPHABET) - {_ESC}

# TS 23.038 §6.2.1.1: the extension table, sent as ESC + one septet, so each of these costs 2 septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

# TS 23.040 §9.2.3.24.1: a short message carries 140 octets of user data, i.e. 160 septets or 70 UCS-2
# units. A part of a concatenated message spends 6 octets on its header: 153 septets or 67 UCS-2 units.
_SINGLE = {GSM7: 160, UCS2: 70}
_MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True, slots=True)
class Measure:
    """How a text goes out as SMS.

    `units` are septets for GSM-7 and UTF-16 code units for UCS-2; `characters` are code points;
    `per_segment` is the capacity of one segment in units (160/70 for one part, 153/67 for several).
    """

    encoding: str
    units: int
    segments: int
    characters: int
    per_segment: int


def measure(text: str) -> Measure:
    """Encoding, length and number of segments of exactly `text` (nothing is normalised or stripped)."""
    encoding, units, parts = _layout(text)
    capacity = _SINGLE[encoding] if len(parts) <= 1 else _MULTI[encoding]
    return Measure(encoding, units, len(parts), len(text), capacity)


def split(text: str) -> list[str]:
    """The parts as they are sent, packed like `measure` counts them; joined again they give `text`."""
    return _layout(text)[2]


def unicode_characters(text: str) -> list[str]:
    """The distinct characters that force UCS-2 (in neither GSM-7 table), in order of first appearance."""
    return list(dict.fromkeys(char for char in text if char not in _GSM7_ALL))


def _encoding(text: str) -> str:
    # The GSM 7 bit default alphabet (with its extension) when it can represent every character, else UCS-2.
    return GSM7 if _GSM7_ALL.issuperset(text) else UCS2


def _units(text: str, encoding: str) -> int:
    """What `_cost` adds up to, counted in C: every message a worker sends is measured."""
    if encoding == GSM7:
        return len(text) + sum(map(text.count, GSM7_EXTENSION))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one unit, as in _cost


def _cost(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1  # ESC + septet
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a UTF-16 surrogate pair


def _layout(text: str) -> tuple[str, int, list[str]]:
    encoding = _encoding(text)
    units = _units(text, encoding)
    if not text:
        return encoding, 0, []
    if units <= _SINGLE[encoding]:
        return encoding, units, [text]
    return encoding, units, _pack(text, encoding, _MULTI[encoding])


def _pack(text: str, encoding: str, capacity: int) -> list[str]:
    """Fill each part greedily; a character that does not fit whole starts the next part.

    TS 23.040 §9.2.3.24.1: an escape sequence shall not be split across parts. We also keep a surrogate
    pair together, since a lone half is not a character the handset can show.
    """
    parts, start, used = [], 0, 0
    for index, char in enumerate(text):
        cost = _cost(char, encoding)
        if used + cost > capacity:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


# An alphanumeric originator is at most 11 characters (TS 23.040 §9.1.2.5); gateways and operators accept
# only ASCII letters and digits, and need a letter to tell it from a number. A numeric one is a phone number.
_ALPHANUMERIC_SENDER = re.compile(r"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{3,11}")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]{3,16}")


def is_valid_sender_id(value: str) -> bool:
    """3-11 ASCII letters and digits with at least one letter, or 3-16 digits with an optional leading '+'."""
    return bool(_ALPHANUMERIC_SENDER.fullmatch(value) or _NUMERIC_SENDER.fullmatch(value))


def cost_cents(segments: int, price_per_segment_cents: int) -> int:
    """The price of a message in whole cents: every segment is billed."""
    if segments < 0 or price_per_segment_cents < 0:
        raise ValueError(f"segments and price must not be negative: {segments}, {price_per_segment_cents}")
    return segments * price_per_segment_cents
