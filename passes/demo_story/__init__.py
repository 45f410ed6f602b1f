"""The demo's last 30 days (issue 14): belongs with the demo seeding (``passes.demo``)."""
