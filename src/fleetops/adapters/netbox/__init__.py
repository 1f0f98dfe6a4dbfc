"""NetBox, the DCIM source of truth: a thin REST client and an in-memory fake with the same API shape."""
