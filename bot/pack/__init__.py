"""Content packs: the staff-facing format (models), reading (load) and writing (dump)."""

from bot.pack.dump import dump_pack
from bot.pack.load import PackError, Problem, load_pack, require_pack
from bot.pack.models import Pack

__all__ = ["Pack", "PackError", "Problem", "dump_pack", "load_pack", "require_pack"]
