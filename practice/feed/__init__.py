"""A practitioner's private calendar feed: a secret link their phone's calendar subscribes to."""
