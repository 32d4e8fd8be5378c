"""Typed wrappers around downstream gRPC stubs: one small method per RPC, each with a deadline."""
