"""``python -m passes.verify``: the offline verifier's command-line entry point.

The verifier itself is ``passes.signing.verify``; this package only keeps the command that
checkpoint laptops and the README use.
"""
