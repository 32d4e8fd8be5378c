"""Domains: hostnames assigned to apps, routed by the agent of the app's server."""
