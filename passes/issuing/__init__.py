"""Issuing passes: numbers, one pass per vehicle, stored PDFs (rendered by a worker) and the
permission-checked downloads. The drawing itself is ``issuing.pdf`` (no ORM)."""
