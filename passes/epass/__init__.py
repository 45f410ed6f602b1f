"""The driver's e-pass: a personal link per driver and pass, sent by SMS (``links``)."""
