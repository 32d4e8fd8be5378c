"""Embedded PostgreSQL, Valkey and NATS JetStream for development and tests."""

from switchyard.stack._urls import StackUrls, urls_from_env, with_env_overrides

__all__ = ["StackUrls", "urls_from_env", "with_env_overrides"]
