"""Operator actions that go beyond a probe: re-enrolment, Dwaar config revisions, the deploy-net table."""
