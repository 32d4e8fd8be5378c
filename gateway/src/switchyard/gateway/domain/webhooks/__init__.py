"""Webhook ingest: ``POST /api/webhooks/ingest/{provider}`` turns tracker deliveries into queued work."""
