"""Daemon-config mutations: validation, authorisation, storage and delivery on heartbeat."""
