"""The HTTP API (`/api/v1`), the one place errors become problem+json, and `/metrics`."""
