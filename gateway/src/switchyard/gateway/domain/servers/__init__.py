"""Servers and their agent commands: ``/api/servers/*`` and ``/api/commands/*`` (Permanu §2.5 style)."""
