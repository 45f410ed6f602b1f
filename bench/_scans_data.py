"""Data for the scan benchmark, written into its own throw-away database (never the real one).

Run in a child process whose ``DATABASE_URL`` points at the benchmark database:
``python -m bench._scans_data OUT.json PASSES``. Writes what the load generator
needs: inspectors' API tokens, the checkpoint, QR texts and typed numbers/plates.
"""

import datetime
import json
import random
import sys


def seed(out_path: str, count: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from bench._seed import verified_enterprises
    from passes import validators
    from passes.issuing.numbering import allocate_pass_numbers
    from passes.models import (
        Checkpoint,
        Driver,
        Pass,
        PassRequest,
        PassType,
        RequestItem,
        Vehicle,
    )
    from passes.signing import keys as signing_keys
    from passes.signing import tokens as signing

    rng = random.Random(20221128)
    now = timezone.now()
    per_request = 10
    User = get_user_model()
    with transaction.atomic():
        pass_type = PassType.objects.get(code="urban-truck-access")
        checkpoints = [
            Checkpoint.objects.create(name=f"湘江{n}号大桥卡口", code=f"bridge-{n}")
            for n in range(4)
        ]
        inspectors = Group.objects.get(name="Inspectors")
        tokens = []
        for n in range(20):
            user = User.objects.create_user(f"bench-inspector-{n}", password=None)
            user.groups.add(inspectors)
            tokens.append(Token.objects.create(user=user).key)

        enterprises = verified_enterprises(count // 50 + 1)

        vehicles, drivers = [], []
        for n in range(count):
            enterprise = enterprises[n // 50]
            vehicles.append(Vehicle(enterprise=enterprise, plate=f"湘B{n:05d}"))
            id_body = f"430202198506{n % 28 + 1:02d}{n % 1000:03d}"
            drivers.append(
                Driver(
                    enterprise=enterprise,
                    name=rng.choice("李王张刘陈杨赵黄周吴") + rng.choice(("小明", "建国", "娜")),
                    id_number=id_body + validators.id_number_check_character(id_body),
                    phone=f"138{n:08d}",
                )
            )
        Vehicle.objects.bulk_create(vehicles)
        Driver.objects.bulk_create(drivers)

        requests = []
        for n in range(0, count, per_request):
            requests.append(
                PassRequest(
                    enterprise=vehicles[n].enterprise,
                    pass_type=pass_type,
                    origin="株洲市荷塘区",
                    destination="长沙市雨花区",
                    route_description="沪昆高速—京港澳高速",
                    cargo_description="木材原料",
                    status=PassRequest.Status.APPROVED,
                    valid_from=now - datetime.timedelta(days=1),
                    valid_until=now + datetime.timedelta(days=30),
                )
            )
        PassRequest.objects.bulk_create(requests)
        for pass_request in requests:
            pass_request.checkpoints.set(rng.sample(checkpoints, 2))

        items = [
            RequestItem(request=requests[n // per_request], vehicle=vehicles[n])
            for n in range(count)
        ]
        RequestItem.objects.bulk_create(items)
        RequestItem.drivers.through.objects.bulk_create(
            [
                RequestItem.drivers.through(requestitem_id=item.pk, driver_id=drivers[n].pk)
                for n, item in enumerate(items)
            ]
        )
        numbers = allocate_pass_numbers(count)
        passes = [
            Pass(
                number=numbers[n],
                request=items[n].request,
                item=items[n],
                vehicle=vehicles[n],
                plate=vehicles[n].plate,
                valid_from=items[n].request.valid_from,
                valid_until=items[n].request.valid_until,
            )
            for n in range(count)
        ]
        Pass.objects.bulk_create(passes)
        Pass.drivers.through.objects.bulk_create(
            [
                Pass.drivers.through(pass_id=issued.pk, driver_id=drivers[n].pk)
                for n, issued in enumerate(passes)
            ]
        )
        # A few revoked, as in real life (about 2%).
        revoked = rng.sample(passes, count // 50)
        Pass.objects.filter(pk__in=[p.pk for p in revoked]).update(
            status=Pass.Status.REVOKED, revoked_at=now, status_changed_at=now
        )

    codes = [signing.verification_url(signing_keys.sign_pass(issued)) for issued in passes]
    typed = [[issued.number, issued.plate] for issued in passes]
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "tokens": tokens,
                "checkpoints": [checkpoint.code for checkpoint in checkpoints],
                "codes": codes,
                "typed": typed,
            },
            handle,
        )


if __name__ == "__main__":
    seed(sys.argv[1], int(sys.argv[2]))
