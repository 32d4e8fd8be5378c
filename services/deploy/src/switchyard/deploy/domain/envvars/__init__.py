"""Env vars of an app's environments: sealed at rest, masked in every listing, revealed with an audit."""
