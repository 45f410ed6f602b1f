"""passdesk's REST API (Django REST framework) under ``/api/v1/``.

Views are thin: they parse input with an input serializer, call a service module
(``enterprises.fleet``, ``requests.filing``, ``requests.workflow``,
``passes.documents``) and render the
result with an output serializer. Errors of every kind leave through ``errors.exception_handler``
in one JSON shape.
"""
