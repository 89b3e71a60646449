"""One module per API noun; each has an async and a sync class with the same methods."""
