"""Models of the integrations app (see the issue that builds it)."""
