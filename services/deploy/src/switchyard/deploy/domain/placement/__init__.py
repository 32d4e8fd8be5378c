"""Server placement: labels, cordon and drain flags, pools; servers come from the agents service's events."""
