"""Deployments: an app's spec rolled out to an environment by the server's agent, with approvals,
cancels, rollbacks and a 24 h progress log."""
