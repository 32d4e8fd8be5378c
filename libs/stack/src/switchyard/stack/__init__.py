"""Embedded PostgreSQL, Valkey and NATS JetStream for development and tests."""

from switchyard.stack._urls import StackUrls, urls_from_env

__all__ = ["StackUrls", "urls_from_env"]
