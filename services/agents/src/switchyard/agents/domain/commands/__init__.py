"""Commands: durable rows issued to a server's agent, their delivery state and results."""
