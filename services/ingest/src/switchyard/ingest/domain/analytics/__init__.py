"""Product analytics: PostHog capture payloads, the events they store, and the queries over them."""
