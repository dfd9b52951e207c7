"""Messages to clients: templates, planning and sending, the message log, usage and invoices."""
from .views import bp, callbacks  # noqa: F401
