"""Servers as operators see them: stored view, presence, and the probes and actions run through the agent."""
