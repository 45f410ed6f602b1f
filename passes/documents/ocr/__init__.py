"""Machine reading (OCR) of scanned materials: read, extract each kind's fields, check them
against what was filed. Advisory only: the machine informs a reviewer, it never decides.

The engine runs only in the Celery worker of the ``ocr`` queue, never on a web request.
"""
