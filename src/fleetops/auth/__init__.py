"""API tokens (stored hashed), roles, and the tenant scope every query is filtered through."""
