"""The REST API (`/api/v1`): app factory, routers per noun, middleware, error envelope."""
