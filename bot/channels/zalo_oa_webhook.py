"""What makes an OA webhook call genuine: ``X-ZEvent-Signature`` is ``mac = sha256(app_id + raw
body + timestamp + OA secret key)``, and the timestamp is recent (replays are refused by key)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
MAX_BODY = 64 * 1024
# Zalo retries a failed delivery after 30 s, 5, 15, 30 min and 1 h with the original timestamp,
# so the default window accepts those (about 1 h 51 min after the event) and no older.
DEFAULT_MAX_AGE = dt.timedelta(hours=2, minutes=5)
MAX_SKEW = dt.timedelta(minutes=5)  # how far in the future a timestamp may be


def compute_mac(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """sha256(app_id + raw body + timestamp + OA secret key), hex (a plain hash, not HMAC)."""
    data = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify_signature(
    raw: bytes,
    header: str | None,
    body: dict[str, Any],
    *,
    app_id: str,
    oa_secret_key: str,
    ts_header: str | None = None,
) -> str | None:
    """The timestamp the signature was made with if it is valid, else None.

    Accepts ``mac=<hex>`` and a bare ``<hex>``; the timestamp is the body's ``timestamp``
    (or the ``X-ZEvent-Timestamp`` header some implementations read).
    """
    if not header:
        return None
    signature = header.strip()
    if signature[:4].lower() == "mac=":
        signature = signature[4:].strip()
    signature = signature.lower()
    candidates = [str(body.get("timestamp", ""))]
    if ts_header and ts_header not in candidates:
        candidates.append(ts_header)
    for timestamp in candidates:
        if not timestamp:
            continue
        mac = compute_mac(app_id, raw, timestamp, oa_secret_key)
        if hmac.compare_digest(mac.encode(), signature.encode()):
            return timestamp
    return None


def timestamp_time(value: str) -> dt.datetime | None:
    """An epoch-milliseconds string as an aware UTC datetime."""
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def fresh(when: dt.datetime | None, now: dt.datetime, max_age: dt.timedelta) -> bool:
    """The signed moment is neither older than ``max_age`` nor too far in the future."""
    return when is not None and now - max_age <= when <= now + MAX_SKEW


def replay_keys(signature_header: str | None, body: dict[str, Any]) -> list[str]:
    """The keys a delivery is known by: its signature, and its message id if it has one."""
    signature = (signature_header or "").strip().lower()
    keys = [f"oa:mac:{signature.removeprefix('mac=').strip()}"]
    msg_id = (body.get("message") or {}).get("msg_id")
    if msg_id:
        keys.append(f"oa:msg:{msg_id}")
    return keys
