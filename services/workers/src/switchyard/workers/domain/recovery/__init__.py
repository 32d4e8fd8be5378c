"""Recovery packets: crash context saved for a session so a later agent can resume from it."""
