"""The deploy schema: declarative base, models and migrations."""
