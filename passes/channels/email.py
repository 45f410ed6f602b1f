"""E-mail through Django's e-mail framework: plain-text and HTML parts, and for issued passes
the combined PDF (rendered at sending time by ``passes.pdf``) or, failing that, the link."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import PermanentFailure, TemporaryFailure

logger = logging.getLogger(__name__)


def pass_pdf(pass_ids):
    """``(filename, bytes)`` of the passes' PDF, or None when it cannot be rendered here (the
    e-mail then carries only the link written into its body)."""
    if not pass_ids:
        return None
    try:
        from .. import pdf
    except ImportError:
        return None
    from ..models import Pass

    passes = list(Pass.objects.filter(pk__in=pass_ids).select_related("request").order_by("number"))
    if not passes:
        return None
    render = getattr(pdf, "render_request_pdf", None)
    try:
        if render is not None:
            content = render(passes[0].request)
        else:
            render_passes = getattr(pdf, "render_passes_pdf", None) or getattr(
                pdf, "render_passes", None
            )
            if render_passes is None:
                return None
            content = render_passes(passes)
    except Exception:  # a PDF problem must not stop the e-mail: the link is in the body
        logger.exception("could not render the PDF for passes %s", pass_ids)
        return None
    if hasattr(content, "read"):
        content = content.read()
    return f"{passes[0].request.reference}.pdf", bytes(content)


def send(notification) -> None:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.address],
        headers={"X-Passdesk-Event": notification.event},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    attachment = pass_pdf(notification.attachments)
    if attachment is not None:
        message.attach(attachment[0], attachment[1], "application/pdf")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"recipient refused: {error.recipients}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
