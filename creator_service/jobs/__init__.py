"""Automated jobs: the /create… endpoints, their queue and their durable state."""
