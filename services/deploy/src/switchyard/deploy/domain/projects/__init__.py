"""Projects: an org's groups of apps."""
