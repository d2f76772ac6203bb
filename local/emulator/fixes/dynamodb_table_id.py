"""DynamoDB: every table description carries ``TableId``.

AWS returns ``TableId`` ("Unique identifier for the table for which the backup was created", a UUID that stays
the same for the life of the table) in the ``TableDescription`` of CreateTable, DescribeTable, UpdateTable and
DeleteTable — see the DynamoDB API Reference, data type ``TableDescription``. Stock moto omits it and
``amazon.aws.dynamodb_table`` reads it on create, update and delete.
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.dynamodb.models.table import Table

_ATTR = "_emulator_table_id"


def table_id(table: Table) -> str:
    """The table's stable id, minted on first use."""
    value = table.__dict__.get(_ATTR)
    if value is None:
        value = str(uuid.uuid4())
        setattr(table, _ATTR, value)
    return value


def apply() -> None:
    original = Table.describe

    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key)
        result[base_key]["TableId"] = table_id(self)
        return result

    Table.describe = describe  # type: ignore[method-assign]
