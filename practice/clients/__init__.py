"""Client cards: contact details, preferred channels and the SMS consent trail."""
from .views import bp  # noqa: F401
