"""Pass requests from draft to decision: the workflow (every state change), filing drafts,
the guards that must hold, review helpers for reviewers, and the expiry sweep."""
