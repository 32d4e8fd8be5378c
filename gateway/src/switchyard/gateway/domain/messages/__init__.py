"""The user's inbox: ``/api/messages``."""
