"""Signed QR tokens: the format (``tokens``, no Django), the key store and ``sign_pass``
(``keys``), the offline verifier (``verify``) and the public-key endpoint (``views``)."""
