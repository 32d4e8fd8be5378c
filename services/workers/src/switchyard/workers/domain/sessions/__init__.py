"""Agent sessions: the work queue, the FSM and what agents report."""
