"""The public ``agent.v1.AgentService`` that real agents dial (its own port, its own auth)."""
