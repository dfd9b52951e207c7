"""The agenda: day and week views, booking, moving, cancelling and no-shows."""
