"""What makes a password acceptable (OWASP ASVS V6.2): long enough, not one of the 20,000 most common ones
(the list Django ships, by Royce Williams, in auth/common-passwords.txt.gz), and not the person's own name or
address. Pure: strings in, a reason out."""
import gzip
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 128  # far more than a passphrase needs; the hash does not care, a form field should
COMMON = Path(__file__).resolve().parent / "auth" / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def problem_with(password: str, *, email: str = "", name: str = "") -> str | None:
    """None for an acceptable password, else why not: too_short, too_long, common or personal."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in _common() or lowered.strip("0123456789!") in _common():
        return "common"
    personal = {email.lower(), email.lower().partition("@")[0], name.lower(), name.lower().replace(" ", "")}
    if any(len(part) >= 4 and part in lowered for part in personal):
        return "personal"
    return None
