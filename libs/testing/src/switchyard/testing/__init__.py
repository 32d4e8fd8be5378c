"""Test helpers and the ``switchyard`` pytest plugin (fixtures live in ``switchyard.testing.plugin``)."""

from switchyard.testing._ports import free_port
from switchyard.testing._smtp import SmtpSink

__all__ = ["SmtpSink", "free_port"]
