"""The story-like demo data (``python manage.py demo``) and the scan images it draws."""
