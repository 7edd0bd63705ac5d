"""Models of the outfits app (see the issue that builds it)."""
