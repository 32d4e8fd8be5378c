"""Test helpers and the ``switchyard`` pytest plugin (fixtures live in ``switchyard.testing.plugin``)."""

from switchyard.testing._ports import free_port
from switchyard.testing._smtp import SmtpSink
from switchyard.testing._wait import eventually

__all__ = ["SmtpSink", "eventually", "free_port"]
