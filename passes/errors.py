"""The domain errors the services raise and every interface shows as they are.

``WorkflowError`` carries a stable ``code`` for API clients and a translated ``message`` for
people; the portal, the API (409/400) and the admin all display it. Kept in its own module so
any service can raise it without importing the workflow.
"""


class WorkflowError(Exception):
    """A change that is not allowed. ``code`` is stable for API clients; ``message`` is
    translated for people."""

    def __init__(self, message: str, code: str = "workflow_error"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)


class PassNumbersExhausted(Exception):
    """The six-digit serial of a region code has run out."""
