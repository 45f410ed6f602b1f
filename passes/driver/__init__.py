"""The driver's pages: the e-pass a personal link opens (``/d/<token>``), offline too."""
