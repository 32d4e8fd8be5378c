"""Transport-free domain logic of the workers service."""
