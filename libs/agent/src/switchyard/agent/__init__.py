"""The reference server agent: the agent side of agent.v1.AgentService, as permanu-agent speaks it."""
