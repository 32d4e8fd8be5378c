"""Daemon mutations: ``/api/daemon/mutations`` (Rensei §2.6)."""
