"""What every channel may answer besides success or a failure of its own."""


class OutcomeUnknown(Exception):
    """The message went out but no answer came back: it may have arrived (in doubt)."""
