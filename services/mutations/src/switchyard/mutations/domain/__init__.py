"""Transport-free domain logic of the mutations service."""
