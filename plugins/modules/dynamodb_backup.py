#!/usr/bin/python
"""Take an on-demand DynamoDB backup by name, once, and wait until it is AVAILABLE."""

from __future__ import annotations

DOCUMENTATION = r"""
module: dynamodb_backup
short_description: Take an on-demand backup of a DynamoDB table
description:
  - Creates an on-demand backup (CreateBackup) of a table under a given name and waits until it is
    C(AVAILABLE). A backup of that table with that name that already exists is reported, not taken again, so a
    re-run after an interruption does not pile up backups.
  - On-demand backups are kept until deleted, also after the table is deleted; they are how destroy.yml keeps
    the data. Restore with RestoreTableFromBackup (the role README shows how).
  - No amazon.aws or community.aws module takes DynamoDB on-demand backups (M(amazon.aws.backup_plan) is the
    separate AWS Backup service, which needs a vault and a plan).
version_added: 0.1.0
author: Tricontinent team
options:
  table_name:
    description: The table to back up.
    type: str
    required: true
  backup_name:
    description: Name of the backup (3..255 of C(A-Za-z0-9_.-)).
    type: str
    required: true
  missing_table:
    description: What to do when the table does not exist; C(ok) returns no backup and no change.
    type: str
    choices: [ok, fail]
    default: fail
  wait:
    description: Wait until the backup is C(AVAILABLE).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - "IAM: dynamodb:DescribeTable, ListBackups, CreateBackup, DescribeBackup."
"""

EXAMPLES = r"""
- name: Keep the data before the table goes
  tricontinent.activeactive.dynamodb_backup:
    aws_region: us-west-2
    table_name: tricontinent-production-records
    backup_name: tricontinent-production-records-final-20261203T230000Z
    missing_table: ok
  register: backup
"""

RETURN = r"""
backup_arn: {description: ARN of the backup (empty when the table does not exist)., type: str, returned: always}
backup_name: {description: Name of the backup., type: str, returned: always}
backup_status: {description: CREATING or AVAILABLE (empty when there is none)., type: str, returned: always}
table_arn: {description: ARN of the table backed up (empty when it does not exist)., type: str, returned: always}
"""

import re
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

BACKUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
POLL_SECONDS = 2


def table_arn_of(client: Any, table_name: str) -> str:
    """The table's ARN, or '' when it does not exist."""
    try:
        return str(client.describe_table(TableName=table_name)["Table"]["TableArn"])
    except client.exceptions.ResourceNotFoundException:
        return ""


def existing_backup(client: Any, table_name: str, backup_name: str) -> dict[str, Any] | None:
    """The table's on-demand backup with this name, if one exists (ListBackups pages by LastEvaluated...)."""
    kwargs: dict[str, Any] = {"TableName": table_name, "BackupType": "USER"}
    while True:
        page = client.list_backups(**kwargs)
        for summary in page.get("BackupSummaries", []):
            if summary.get("BackupName") == backup_name:
                return dict(summary)
        if not page.get("LastEvaluatedBackupArn"):
            return None
        kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]


def wait_available(module: AnsibleAWSModule, client: Any, backup_arn: str) -> str:
    deadline = time.monotonic() + module.params["wait_timeout"]
    while True:
        status = client.describe_backup(BackupArn=backup_arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
        if status != "CREATING":
            return str(status)
        if time.monotonic() > deadline:
            module.fail_json(msg=f"Backup {backup_arn} is still CREATING after {module.params['wait_timeout']} s")
        time.sleep(POLL_SECONDS)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "table_name": {"type": "str", "required": True},
            "backup_name": {"type": "str", "required": True},
            "missing_table": {"type": "str", "choices": ["ok", "fail"], "default": "fail"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 900},
        },
        supports_check_mode=True,
    )
    table_name, backup_name = module.params["table_name"], module.params["backup_name"]
    if not BACKUP_NAME.match(backup_name):
        module.fail_json(msg=f"backup_name must be 3..255 of A-Za-z0-9_.-, got {backup_name!r}")
    client = module.client("dynamodb", retry_decorator=AWSRetry.jittered_backoff())
    result: dict[str, Any] = {"backup_arn": "", "backup_name": backup_name, "backup_status": "", "table_arn": ""}
    try:
        result["table_arn"] = table_arn_of(client, table_name)
        if not result["table_arn"]:
            if module.params["missing_table"] == "fail":
                module.fail_json(msg=f"No table named {table_name}: nothing to back up", **result)
            module.exit_json(changed=False, **result)
        found = existing_backup(client, table_name, backup_name)
        if found is not None:
            result.update(backup_arn=found["BackupArn"], backup_status=found["BackupStatus"])
        elif not module.check_mode:
            details = client.create_backup(TableName=table_name, BackupName=backup_name)["BackupDetails"]
            result.update(backup_arn=details["BackupArn"], backup_status=details["BackupStatus"])
        if result["backup_arn"] and result["backup_status"] == "CREATING" and module.params["wait"]:
            result["backup_status"] = wait_available(module, client, result["backup_arn"])
    except Exception as exc:  # botocore errors and connection failures alike
        module.fail_json_aws(exc, msg=f"Could not back up {table_name}")

    changed = found is None
    before = {"backups": [backup_name] if found is not None else []}
    module.exit_json(changed=changed, diff={"before": before, "after": {"backups": [backup_name]}}, **result)


if __name__ == "__main__":
    main()
