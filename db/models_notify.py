"""Models of the notify feature (registered on db.models.Base)."""

from __future__ import annotations
