"""Recovery packets (Rensei §2.5): crash context saved for a session, resumed once."""
