"""Client cards: contact details, preferred channels and the SMS consent trail."""
