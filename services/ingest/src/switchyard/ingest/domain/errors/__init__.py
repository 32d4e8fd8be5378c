"""Errors: the canonical error form, fingerprints, groups and their events."""
