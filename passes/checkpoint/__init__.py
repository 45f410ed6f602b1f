"""Verification at the checkpoint: recording scans, the revocation feed, the inspector page and
the public verification page. Services live in ``services``/``feed``; views stay thin."""
