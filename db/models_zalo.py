"""Models of the zalo feature (registered on db.models.Base)."""

from __future__ import annotations
