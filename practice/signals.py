"""How one domain tells the rest of the app that something happened, without importing what reacts to it
(the tasks subscribe in create_app). Senders pass the app; receivers get keyword arguments."""
from blinker import Namespace

_signals = Namespace()

# Messages were planned to go out right away (message_ids), or at `due_at` when given (notices in the undo window):
# a confirmation, a change notice, a notice to the practice. Sent after the commit that planned them; the worker's
# minute round would find them too.
messages_planned = _signals.signal("messages-planned")

# The reminder rules of the practice or of an appointment type changed: upcoming reminders follow them.
reminder_rules_changed = _signals.signal("reminder-rules-changed")
