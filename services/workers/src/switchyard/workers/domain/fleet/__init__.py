"""Workers: registration, runtime tokens, heartbeats, deregistration."""
