"""Trust between deployments: publishing this deployment's signed trust list, pulling peers'
lists and revocation feeds, and the peer keys every verifier uses (see docs/verification.md)."""
