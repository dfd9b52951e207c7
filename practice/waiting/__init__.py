"""The waiting list: clients who want an earlier time, and the freed times offered to them."""
