"""Child process of the ``offline_lists`` benchmark: seeds N active passes into the throw-away
database named by ``DATABASE_URL`` and times building the signed list phones copy. Each pass's
slow tag is made once in its life (``offline_list_cost`` measures that); the seed stores
stand-in tags, so the refresh timed here is the steady one, as on a server that has tagged its
passes as they were issued.

``python -m bench._offline_lists_data OUT.json PASSES RUNS``
"""

import datetime
import gzip
import json
import random
import sys
import time


def seed(count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from bench._seed import verified_enterprises
    from passes.issuing.numbering import allocate_pass_numbers
    from passes.models import (
        Checkpoint,
        Pass,
        PassRequest,
        PassType,
        RequestItem,
        Vehicle,
    )

    rng = random.Random(20221128)
    now = timezone.now()
    per_request = 10
    with transaction.atomic():
        pass_type = PassType.objects.get(code="urban-truck-access")
        checkpoints = [
            Checkpoint.objects.create(name=f"湘江{n}号大桥卡口", code=f"bridge-{n}")
            for n in range(12)
        ]
        enterprises = verified_enterprises(count // 50 + 1)
        vehicles = [
            Vehicle(
                enterprise=enterprises[n // 50], plate=f"湘{'ABCD'[n // 100000]}{n % 100000:05d}"
            )
            for n in range(count)
        ]
        Vehicle.objects.bulk_create(vehicles, batch_size=2000)
        requests = [
            PassRequest(
                enterprise=vehicles[n].enterprise,
                pass_type=pass_type,
                origin="株洲市荷塘区",
                destination="长沙市雨花区",
                status=PassRequest.Status.APPROVED,
                valid_from=now - datetime.timedelta(days=1),
                valid_until=now + datetime.timedelta(days=30),
            )
            for n in range(0, count, per_request)
        ]
        PassRequest.objects.bulk_create(requests, batch_size=2000)
        stops = PassRequest.checkpoints.through
        stops.objects.bulk_create(
            [
                stops(passrequest_id=request.pk, checkpoint_id=checkpoint.pk)
                for request in requests
                for checkpoint in rng.sample(checkpoints, 2)
            ],
            batch_size=5000,
        )
        items = [
            RequestItem(request=requests[n // per_request], vehicle=vehicles[n])
            for n in range(count)
        ]
        RequestItem.objects.bulk_create(items, batch_size=2000)
        numbers = allocate_pass_numbers(count)
        passes = Pass.objects.bulk_create(
            [
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
            ],
            batch_size=2000,
        )
        _stand_in_tags(passes)


def _stand_in_tags(passes) -> None:
    """Random tags under the current salt and cost, as if each pass had been hashed once."""
    import os

    from passes.issuing import offline_tags
    from passes.models import OfflineTag

    params = offline_tags.params(offline_tags.salt(), offline_tags.iterations())
    OfflineTag.objects.bulk_create(
        [OfflineTag(pass_obj_id=issued.pk, params=params, tag=os.urandom(8)) for issued in passes],
        batch_size=5000,
    )


def measure(out_path: str, count: int, runs: int) -> None:
    import django

    django.setup()
    from passes.checkpoint import offline_list

    started = time.perf_counter()
    seed(count)
    seeded = time.perf_counter() - started
    offline_list.signed_document()  # warm up: key creation, imports, connection
    wall, cpu, document = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        document = offline_list.signed_document()
        body = json.dumps(document, separators=(",", ":")).encode()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    payload = json.loads(document["payload"])
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "seeded_seconds": seeded,
                "count": payload["count"],
                "routes": len(payload["routes"]),
                "bytes": len(body),
                "gzip_bytes": len(gzip.compress(body, 6)),
                "entry_bytes": len(payload["entries"]) * 3 // 4,
                "wall": wall,
                "cpu": cpu,
            },
            handle,
        )


if __name__ == "__main__":
    measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
