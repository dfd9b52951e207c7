"""The practice's data: clients and appointments imported from another program, exports, a client's data on request
and their erasure, retention, and backup and restore."""
