"""The owner's settings: the practice, locations, appointment types, practitioners, messages."""
