"""The owner's dashboard: online activity, messages, SMS usage, no-shows and what needs attention."""
