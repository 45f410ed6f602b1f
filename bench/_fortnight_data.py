"""Data for the fortnight benchmark, run in a subprocess against the benchmark's database.

``python -m bench._fortnight_data seed OUT N``: N verified enterprises (an owner
with an API token each, no fleet: they register it through the API), the pass type, two
checkpoints, 3 reviewers (API tokens and a signed-in session each, for the document viewer)
and 4 inspectors with tokens.

``python -m bench._fortnight_data codes OUT``: the QR texts of every issued pass
(the same signed token the PDF carries; Ed25519 signatures are deterministic), which a real
inspector would read off the printout.
"""

import json
import sys


def seed(out_path: str, count: int) -> None:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.models import Group
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from bench._seed import verified_enterprises
    from passes.models import Checkpoint, Membership, PassType
    from passes.signing import keys as signing_keys

    User = get_user_model()  # noqa: N806 - Django's idiom
    signing_keys.ensure_signing_key()
    with transaction.atomic():
        pass_type = PassType.objects.create(
            name="城区货车通行证（基准）", code="fortnight-truck", max_validity_days=30
        )
        checkpoints = [
            Checkpoint.objects.create(name=f"湘江{n}号大桥卡口", code=f"fortnight-bridge-{n}")
            for n in range(2)
        ]
        enterprises = verified_enterprises(count)
        users = User.objects.bulk_create(
            [
                User(username=f"fortnight-{n}", email=f"fortnight-{n}@example.org")
                for n in range(count)
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=user, enterprise=enterprise, role=Membership.Role.OWNER)
                for user, enterprise in zip(users, enterprises, strict=True)
            ]
        )
        tokens = Token.objects.bulk_create(
            [Token(user=user, key=Token.generate_key()) for user in users]
        )

        def staff(prefix, group, number):
            made = []
            for n in range(number):
                user = User.objects.create_user(f"{prefix}-{n}", is_staff=group == "Reviewers")
                user.set_unusable_password()
                user.save()
                user.groups.add(Group.objects.get(name=group))
                made.append(user)
            return made

        reviewers = []
        for user in staff("fortnight-reviewer", "Reviewers", 3):
            session = import_module(settings.SESSION_ENGINE).SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            reviewers.append(
                {"token": Token.objects.create(user=user).key, "session": session.session_key}
            )
        inspectors = [
            Token.objects.create(user=user).key
            for user in staff("fortnight-inspector", "Inspectors", 4)
        ]
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "pass_type": pass_type.pk,
                "checkpoints": [checkpoint.pk for checkpoint in checkpoints],
                "checkpoint_codes": [checkpoint.code for checkpoint in checkpoints],
                "tokens": [token.key for token in tokens],
                "reviewers": reviewers,
                "inspectors": inspectors,
            },
            handle,
        )


def codes(out_path: str) -> None:
    from passes.models import Pass
    from passes.signing import keys as signing_keys
    from passes.signing import tokens as signing

    passes = Pass.objects.select_related("request").order_by("pk")
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(
            [signing.verification_url(signing_keys.sign_pass(issued)) for issued in passes],
            handle,
        )


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "seed":
        seed(sys.argv[2], int(sys.argv[3]))
    else:
        codes(sys.argv[2])
