"""Running passdesk on several nodes: the trusted reverse proxy, backup and restore."""
