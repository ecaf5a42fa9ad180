"""Models of the draws app."""
