"""Canonical routes per server (from deploy), the Dwaar route diff and reconcile."""
