"""Factories and helpers for the notification tests."""

import factory

from passes import models
from tests import factories


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.NotificationPreference
        django_get_or_create = ("user",)

    user = factory.SubFactory(factories.UserFactory)
    language = "zh-hans"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WebhookEndpoint

    enterprise = factory.SubFactory(factories.EnterpriseFactory)
    url = "https://hooks.example.com/passdesk"


def approved_request(applicant, reviewer, *, vehicles=1, **kwargs):
    """Submit, claim and approve a fresh request of the applicant's enterprise."""
    from passes.requests import workflow

    pass_request = factories.submittable_request(
        vehicles=vehicles, enterprise=applicant.membership.enterprise, **kwargs
    )
    workflow.submit(pass_request, by=applicant)
    workflow.claim(pass_request, by=reviewer)
    passes = workflow.approve(pass_request, by=reviewer)
    pass_request.refresh_from_db()
    return pass_request, passes
