"""Domains of apps and the Dwaar route diff / reconcile of servers."""
