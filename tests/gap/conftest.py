"""The gap tests import their generators from ``gap_fixtures`` (a plain module)."""
