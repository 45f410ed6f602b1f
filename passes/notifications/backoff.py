"""The retry schedule: exponential backoff with jitter. Pure functions, no Django."""

import random


def retry_delay(
    attempt: int,
    *,
    base: float = 30.0,
    factor: float = 2.0,
    cap: float = 3600.0,
    jitter: float = 0.5,
    rand=random.random,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 = the first try).

    The un-jittered delay grows ``base · factor^(attempt-1)`` up to ``cap``; "equal jitter" then
    takes a uniformly random point in its upper ``jitter`` share, so retries of many rows that
    failed together (a mail server outage) spread out instead of arriving in step, while each
    delay stays within ``[(1 - jitter) · d, d]``.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if not 0 <= jitter <= 1:
        raise ValueError("jitter is a share between 0 and 1")
    delay = min(cap, base * factor ** (attempt - 1))
    return delay * (1 - jitter) + delay * jitter * rand()


def retry_schedule(max_attempts: int, **kwargs) -> list[float]:
    """The waits between ``max_attempts`` tries (one fewer than the tries)."""
    return [retry_delay(attempt, **kwargs) for attempt in range(1, max_attempts)]
