"""The enterprise portal: server-rendered pages that call the service modules."""
