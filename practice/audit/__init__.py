"""The audit trail: who changed what and when, appended to by the other domains, read by the owner."""
