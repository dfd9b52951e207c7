"""practice: agenda, client cards and client messages for one practice. The app is made by practice.app."""
