"""Every list of the API is paginated the same way."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """``?page=2&page_size=20``; the page size is capped so nobody pulls a table in one go."""

    page_size_query_param = "page_size"
    max_page_size = 200
