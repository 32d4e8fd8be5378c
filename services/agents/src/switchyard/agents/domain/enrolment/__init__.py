"""Enrolment: install tokens, registration, refresh-token rotation, recovery and revocation."""
