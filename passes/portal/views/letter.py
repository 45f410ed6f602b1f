"""The blank 承诺书 to download: every wizard step that asks for one links here, and the FAQ."""

from django.conf import settings
from django.http import HttpResponse

from ... import access
from ...issuing.pdf import letter
from ...models import PassType


@access.public("a blank form: the office's name and a pass type's published declaration")
def commitment_letter(request):
    """The pass type's own declaration when ``?type=<code>`` names an active one, else the
    general wording; the office that issues that type."""
    pass_type = (
        PassType.objects.filter(code=request.GET.get("type", ""), is_active=True)
        .select_related("office")
        .first()
    )
    office = settings.PASSDESK_OFFICE_TITLE
    if pass_type is not None and pass_type.office is not None:
        office = pass_type.office.name
    content = letter.commitment_letter(
        office,
        pass_type.name if pass_type else "",
        pass_type.declaration if pass_type else "",
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        'attachment; filename="commitment-letter.pdf"; '
        "filename*=UTF-8''%E6%89%BF%E8%AF%BA%E4%B9%A6.pdf"  # 承诺书.pdf
    )
    return response
