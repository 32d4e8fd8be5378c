"""The change feed: appended by every write in its own transaction, read newest first."""
