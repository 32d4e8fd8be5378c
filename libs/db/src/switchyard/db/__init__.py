"""Database plumbing: async engines, schema-scoped metadata and Alembic, the outbox, Redis.

Import from the submodules (``switchyard.db.engine``, ``.base``, ``.migrations``, ``.outbox``, ``.redis``).
"""
