"""Portal forms, one module per area."""
