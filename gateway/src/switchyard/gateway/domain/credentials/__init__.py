"""Daemon credentials: store, list, delete, snapshot, rotate and the rotation stream."""
