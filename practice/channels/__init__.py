"""The ways out: e-mail over SMTP (or the development sink) and SMS gateways behind one interface
(setup.py chooses them from the configuration)."""
