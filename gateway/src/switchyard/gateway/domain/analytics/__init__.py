"""Product analytics (PostHog capture door and queries) and service metrics (push keys, pushes, ranges)."""
