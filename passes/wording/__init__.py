"""How passdesk words things in the active language where Django has no formatter of its own
(``durations``: "48 hours", "3 days", "5 h 02 min")."""
