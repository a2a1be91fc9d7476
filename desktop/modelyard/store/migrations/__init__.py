"""Alembic migrations shipped with the package and applied when the store opens.

HEAD_REVISION lets an up-to-date store open without importing Alembic (half a second of
start-up); a test checks that it names Alembic's real head.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

HEAD_REVISION = "0002"
SCRIPT_LOCATION = Path(__file__).parent


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
