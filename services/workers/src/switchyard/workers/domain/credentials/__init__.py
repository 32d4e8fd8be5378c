"""Daemon credentials: the sealed store, snapshots for agents, and rotation fan-out."""
