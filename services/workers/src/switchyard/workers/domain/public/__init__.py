"""The public sessions API: an org's stats, sessions, activities and phase metrics, and prompt/stop."""
