"""Models of the shootings app (see the issue that builds it)."""
