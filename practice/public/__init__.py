"""The client's public page: their appointment and the move to another free time."""
