"""Cross-cutting web plumbing: how requests are received (client address behind a proxy,
body size) and how the site answers when a backing service is away."""
