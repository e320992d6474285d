"""Example configuration and messages, shipped so that ``pfbus demo`` works from an install."""

from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent
HUB_CONFIG = EXAMPLES_DIR / "hub.toml"
