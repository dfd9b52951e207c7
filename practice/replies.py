"""What a client's SMS reply means: a STOP word withdraws their SMS consent, a yes confirms their appointment, a no
asks to cancel it; anything else is for a person to read. Case, accents, punctuation and extra spaces do not count.
A yes or a no is the whole reply (a sentence that happens to start with "ja" is for a person); a STOP word first
in the reply is enough, because opting out must never depend on phrasing. Pure."""
import enum
import re
import unicodedata


class Meaning(enum.StrEnum):
    STOP = "stop"
    CONFIRM = "confirm"
    DECLINE = "decline"
    OTHER = "other"


# In every client language (nl, de, en, fr), written without accents: "ARRÊT" is read as "arret".
STOP_WORDS = frozenset({"stop", "stopp", "stoppen", "arret", "unsubscribe", "afmelden", "abmelden", "desabonner"})
WHOLE_REPLIES = {
    Meaning.CONFIRM: frozenset({"ja", "yes", "oui", "ja bitte", "ja graag", "ja hoor", "yes please", "oui merci",
                                "ok", "okay", "d accord", "jawohl", "y", "j"}),
    Meaning.DECLINE: frozenset({"nee", "neen", "no", "non", "nein", "n", "kan niet", "ik kan niet", "cannot",
                                "can t come", "je ne peux pas", "ich kann nicht"}),
}


def normalised(text: str) -> str:
    """Lower case, accents off, anything but letters and digits a single space: "Ja!!  " -> "ja"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", plain.casefold()).strip()


def meaning_of(text: str, switched_on: frozenset[Meaning]) -> Meaning:
    """The reply's meaning among the keywords the practice has on (a meaning that is off reads as OTHER)."""
    words = normalised(text)
    if Meaning.STOP in switched_on and words.split(" ", 1)[0] in STOP_WORDS:
        return Meaning.STOP
    for meaning, replies in WHOLE_REPLIES.items():
        if meaning in switched_on and words in replies:
            return meaning
    return Meaning.OTHER


def switched_on(setting: str) -> frozenset[Meaning]:
    """The meanings a practice's setting turns on ("stop,confirm,decline"); unknown words are ignored."""
    return frozenset(Meaning(word) for word in setting.split(",") if word in {m.value for m in Meaning})


# The sentence a template can carry to tell clients how to reply, per client language: (opening, parts, joiner).
HOW_TO_REPLY = {
    "nl": ("Antwoord", {Meaning.CONFIRM: "JA om te bevestigen", Meaning.DECLINE: "NEE als u niet kunt",
                        Meaning.STOP: "STOP voor geen sms meer"}, " of "),
    "de": ("Antworten Sie", {Meaning.CONFIRM: "JA zur Bestätigung", Meaning.DECLINE: "NEIN, wenn Sie nicht können",
                             Meaning.STOP: "STOPP für keine SMS mehr"}, " oder "),
    "en": ("Reply", {Meaning.CONFIRM: "YES to confirm", Meaning.DECLINE: "NO if you cannot come",
                     Meaning.STOP: "STOP for no more texts"}, " or "),
    "fr": ("Répondez", {Meaning.CONFIRM: "OUI pour confirmer", Meaning.DECLINE: "NON si vous ne pouvez pas venir",
                        Meaning.STOP: "STOP pour ne plus recevoir de SMS"}, " ou "),
}


def how_to_reply(language: str, on: frozenset[Meaning]) -> str:
    """"Antwoord JA om te bevestigen, NEE als u niet kunt of STOP voor geen sms meer." for the keywords on."""
    opening, parts, last_joiner = HOW_TO_REPLY[language]
    chosen = [text for meaning, text in parts.items() if meaning in on]
    if not chosen:
        return ""
    listed = chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + last_joiner + chosen[-1]
    return f"{opening} {listed}."
