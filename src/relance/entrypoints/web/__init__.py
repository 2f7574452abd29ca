"""The web application (server-rendered French pages) and the REST API under /api/v1."""
