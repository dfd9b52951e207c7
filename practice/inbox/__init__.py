"""The practice's inbox: SMS replies from clients, what a keyword did with them, and the ones a person reads."""
