"""How one domain tells the rest of the app that something happened, without importing what reacts to it
(the tasks subscribe in create_app). Senders pass the app; receivers get keyword arguments."""
from blinker import Namespace

_signals = Namespace()

# Messages were planned to go out right away (message_ids), or at `due_at` when given (notices in the undo window):
# a confirmation, a change notice, a notice to the practice. Sent after the commit that planned them; the worker's
# minute round would find them too.
messages_planned = _signals.signal("messages-planned")

# A booked time became free (an appointment cancelled or moved away): practitioner_id, location_id, start, now.
# Sent inside the transaction that freed it, before its commit: the waiting list's offers are made in it, and the
# receiver returns their messages for the sender to hand to the queue after the commit.
time_freed = _signals.signal("time-freed")

# The reminder rules of the practice or of an appointment type changed: upcoming reminders follow them.
reminder_rules_changed = _signals.signal("reminder-rules-changed")
