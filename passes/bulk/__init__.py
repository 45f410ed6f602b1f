"""Bulk creation through the API, by the same rules as the spreadsheet import."""
