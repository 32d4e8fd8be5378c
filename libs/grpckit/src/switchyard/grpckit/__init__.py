"""gRPC plumbing shared by every service: server boot, interceptors, principals, errors, channels.

Import from the submodules (``switchyard.grpckit.server``, ``...errors``, ...); ``errors`` and
``principal`` import no grpc so a service's domain can use them.
"""
