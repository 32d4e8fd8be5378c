"""The agent's side of the protocol: authentication, heartbeats, acks and result frames."""
