"""The console: server-rendered pages over the same services the API uses; works with no internet."""
