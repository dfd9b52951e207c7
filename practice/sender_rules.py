"""Which sender an SMS gets, by the country its number belongs to: the practice's alphanumeric sender ID where the
networks accept one, its numeric sender where they do not (and wherever replies must be possible). Pure."""
import phonenumbers

# Country calling codes whose networks do not accept an alphanumeric sender ID, as Cal.com keeps them
# (calcom/cal.com, packages/features/ee/workflows/lib/alphanumericSenderIdSupport.ts, restrictedCountryPrefixes):
# Belgium (+32) among them, and the whole North American plan (+1). "+42" there is the old Czechoslovak code,
# kept as +420.
NUMERIC_ONLY = frozenset({
    93, 54, 374, 1, 375, 32, 229, 55, 237, 56, 86, 57, 243, 506, 53, 420, 593, 20, 503, 251, 594, 233, 224, 245, 852,
    36, 91, 62, 98, 972, 225, 962, 7, 254, 965, 996, 231, 60, 52, 212, 95, 674, 977, 64, 505, 234, 968, 507, 595, 51,
    63, 974, 250, 966, 27, 82, 211, 94, 249, 268, 963, 886, 255, 66, 216, 90, 256, 598, 58, 84, 260, 61, 971, 381, 65,
})


def needs_numeric_sender(number: str) -> bool:
    """Whether an SMS to `number` (E.164) must come from a numeric sender."""
    try:
        return phonenumbers.parse(number).country_code in NUMERIC_ONLY
    except phonenumbers.NumberParseException:
        return False


def sender_for(number: str, alphanumeric: str, numeric: str, *, replies_on: bool = False) -> str:
    """The sender an SMS to `number` goes out with. Replies only reach a number, so with replies on every SMS that
    can have the numeric sender gets it; without a numeric sender the alphanumeric one is all there is."""
    if numeric and (replies_on or needs_numeric_sender(number)):
        return numeric
    return alphanumeric or numeric
