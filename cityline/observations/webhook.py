"""Alerts sent to a webhook (issue 6): a JSON POST when an alert opens and when it closes.

The receiver is the rule's ``webhook_url``, else the instance's ``CITYLINE_ALERT_WEBHOOK``
setting; with neither, nothing is sent (``webhook_status`` stays "none").

Ingestion never waits for a receiver: :func:`schedule` hands the delivery to a small pool of
background threads once the transaction that recorded the alert has committed. Each delivery
tries up to :data:`ATTEMPTS` times with a timeout per attempt and a growing pause between them
(:data:`BACKOFF` seconds, doubled each time), retrying when the receiver cannot be reached, times
out or answers 5xx, 408 or 429; another 4xx answer is final. The events of one alert are delivered
one after the other, in the order they happened (a "closed" never overtakes an "opened" still being
retried); different alerts are delivered side by side. The outcome is recorded on the alert:
``webhook_status`` (sent, or failed once any of its events could not be delivered: a later success
does not hide it), ``webhook_attempts`` (all attempts so far, opening and closing together) and
``webhook_error`` (the event and problem of the last failure, empty while none failed).

The body (``Content-Type: application/json``)::

    {"event": "opened" | "closed", "city": "...", "rule": "...", "rule_name": "...", "severity": "...",
     "kind": "...", "comparison": "...", "threshold": 25.0, "series": "...", "series_name": "...",
     "entity_id": "...", "entity_type": "...", "attribute": "...", "unit": "...", "value": 31.0,
     "peak_value": 35.0, "started_at": "...", "raised_at": "...", "ended_at": null, "message": "...",
     "end_note": ""}

``end_note`` says why Cityline closed an alert whose condition still held (its rule was deactivated
or no longer watches the series); it is empty otherwise.

httpx does the HTTP; the pause-and-retry loop is a few lines here rather than a transport's
``retries`` option, which only retries failed connections, not timeouts or 5xx answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait

import httpx
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F

from .choices import WebhookStatus

log = logging.getLogger("cityline.observations")

ATTEMPTS = 3
BACKOFF = 1.0
TIMEOUT = 5.0
USER_AGENT = "Cityline alerts"

_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cityline-webhook")
_pending: set[Future] = set()
#: Events waiting for delivery by alert id, in order; an alert is in it while one of its deliveries runs.
_queues: dict[int, deque[str]] = {}
_lock = threading.Lock()


def target(rule) -> str:
    """Where the rule's alerts go ("" when nowhere)."""
    return rule.webhook_url or getattr(settings, "CITYLINE_ALERT_WEBHOOK", "") or ""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def payload(alert, event: str) -> dict:
    rule, series = alert.rule, alert.series
    return {
        "event": event, "city": alert.city.key, "rule": rule.key, "rule_name": rule.name,
        "severity": rule.severity, "kind": rule.kind, "comparison": rule.comparison,
        "threshold": float(rule.threshold), "series": series.key, "series_name": series.name,
        "entity_id": series.entity_id, "entity_type": series.entity_type, "attribute": series.attribute,
        "unit": series.unit, "value": alert.trigger_value, "peak_value": alert.peak_value,
        "started_at": _iso(alert.started_at), "raised_at": _iso(alert.raised_at), "ended_at": _iso(alert.ended_at),
        "message": alert.message, "end_note": alert.end_note,
    }


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def post(url: str, body: dict, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF,
         timeout: float = TIMEOUT) -> tuple[bool, int, str]:
    """POST ``body`` as JSON with retries; returns (delivered, attempts made, last error)."""
    error = ""
    with httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            try:
                response = client.post(url, json=body)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            else:
                if 200 <= response.status_code < 300:
                    return True, attempt, ""
                error = f"HTTP {response.status_code} from the receiver"
                if not _retryable(response.status_code):
                    return False, attempt, error
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    return False, attempts, error


def deliver(alert_id: int, event: str, *, attempts: int | None = None, backoff: float | None = None) -> str:
    """Send one alert now and record the outcome; returns the webhook status."""
    from .models import Alert

    try:
        alert = Alert.objects.select_related("rule", "series", "city").filter(pk=alert_id).first()
        if alert is None:
            return WebhookStatus.NONE
        url = target(alert.rule)
        if not url:
            return WebhookStatus.NONE
        ok, made, error = post(url, payload(alert, event), attempts=attempts or ATTEMPTS,
                               backoff=BACKOFF if backoff is None else backoff)
        rows = Alert.objects.filter(pk=alert_id)
        if ok:  # an earlier event's failure stays visible
            rows.exclude(webhook_status=WebhookStatus.FAILED).update(webhook_status=WebhookStatus.SENT)
            rows.update(webhook_attempts=F("webhook_attempts") + made)
            return WebhookStatus.SENT
        rows.update(webhook_status=WebhookStatus.FAILED, webhook_attempts=F("webhook_attempts") + made,
                    webhook_error=f"{event}: {error}"[:300])
        log.warning("alert %s: webhook %s (%s) failed after %s attempt(s): %s", alert_id, url, event, made, error)
        return WebhookStatus.FAILED
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # a pool thread's connections are its own: never leave them open


def _submit(alert_id: int, event: str) -> None:
    """Queue the event after the alert's earlier ones; start a delivery run unless one is under way."""
    with _lock:
        queue = _queues.get(alert_id)
        if queue is not None:
            queue.append(event)
            return
        _queues[alert_id] = deque([event])
        future = _executor.submit(_deliver_in_order, alert_id)
        _pending.add(future)
    future.add_done_callback(_done)


def _deliver_in_order(alert_id: int) -> None:
    """Deliver the alert's queued events one by one until none is left (each whatever the previous did)."""
    while True:
        with _lock:
            queue = _queues[alert_id]
            if not queue:
                del _queues[alert_id]
                return
            event = queue.popleft()
        try:
            deliver(alert_id, event)
        except Exception:  # one event's crash must not strand the alert's later events
            log.exception("alert %s: webhook delivery of %s crashed", alert_id, event)


def _done(future: Future) -> None:
    with _lock:
        _pending.discard(future)
    if future.exception() is not None:
        log.error("webhook delivery crashed", exc_info=future.exception())


def schedule(alert, event: str) -> bool:
    """Send the alert in the background once the current transaction commits (False: no receiver)."""
    if not target(alert.rule):
        return False
    alert_id = alert.pk
    transaction.on_commit(lambda: _submit(alert_id, event))
    return True


def drain(timeout: float | None = None) -> bool:
    """Wait for the deliveries under way (tests, and a consumer shutting down); True when none is left."""
    with _lock:
        futures = set(_pending)
    done, not_done = wait(futures, timeout=timeout)
    return not not_done
