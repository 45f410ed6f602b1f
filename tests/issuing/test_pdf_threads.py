"""Drawing passes from several threads at once (gunicorn gthread, threaded workers): the shared
font face must give every thread the same bytes a single thread gets."""

import sys
import threading

from django.conf import settings
from django.utils import translation

from bench.issuing import _signer, make_sheet
from passes.issuing.pdf import fonts
from passes.issuing.pdf import sheet as pdf

THREADS = 8
ROUNDS = 4


def test_concurrent_renders_match_single_threaded_output():
    signer = _signer()
    title = settings.PASSDESK_OFFICE_TITLE
    with translation.override(settings.LANGUAGE_CODE):
        # Each sheet has its own rare characters, so each document subsets different glyphs.
        sheets = [make_sheet(signer, index) for index in range(THREADS)]
        expected = [pdf.render_sheets([sheet], title) for sheet in sheets]
    assert len(set(expected)) == THREADS

    results: dict[tuple[int, int], bytes] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def render(index):
        try:
            with translation.override(settings.LANGUAGE_CODE):
                for round_number in range(ROUNDS):
                    barrier.wait(timeout=60)
                    if index == 0:
                        # Forget the memoised subsets: every thread subsets the face again.
                        fonts.font().face._subset_memo.clear()
                    barrier.wait(timeout=60)
                    results[index, round_number] = pdf.render_sheets([sheets[index]], title)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=render, args=(index,)) for index in range(THREADS)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy server does
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        sys.setswitchinterval(interval)

    assert errors == []
    assert len(results) == THREADS * ROUNDS
    for (index, _round), output in results.items():
        assert output == expected[index], f"sheet {index} differs when drawn concurrently"
