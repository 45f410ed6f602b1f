"""Portal views, one module per area; thin, they call the service modules."""
