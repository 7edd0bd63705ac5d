"""Models of the shots app (see the issue that builds it)."""
