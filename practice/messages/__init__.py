"""Messages to clients: templates, planning and sending, the message log, usage and invoices."""
