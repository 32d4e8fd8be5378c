"""Source maps uploaded per release and file."""
