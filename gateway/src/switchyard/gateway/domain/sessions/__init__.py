"""Sessions: queueing work, the session FSM and the worker posts (Rensei §2.2-§2.4, §2.6)."""
