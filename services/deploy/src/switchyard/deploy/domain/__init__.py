"""Transport-free deploy logic."""
