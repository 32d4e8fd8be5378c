"""The worker protocol: registration, liveness, refresh, deregistration and poll (Rensei §2.1, §2.2)."""
