"""Rows the benchmark data scripts share (run after ``django.setup()`` in their subprocess)."""


def verified_enterprises(count: int) -> list:
    """``count`` verified enterprises (株洲基准物流N号有限公司, valid credit codes), saved in
    batch inserts."""
    from passes import validators
    from passes.models import Enterprise

    enterprises = []
    for n in range(count):
        body = "91430200" + f"{n:09d}"
        enterprises.append(
            Enterprise(
                name=f"株洲基准物流{n}号有限公司",
                credit_code=body + validators.credit_code_check_character(body),
                address="湖南省株洲市天元区",
                contact_name="李经理",
                contact_phone=f"139{n:08d}",
                verification_status=Enterprise.Verification.VERIFIED,
            )
        )
    return Enterprise.objects.bulk_create(enterprises, batch_size=2000)
