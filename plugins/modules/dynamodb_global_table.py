#!/usr/bin/python
"""Make an existing DynamoDB table a global table (version 2019.11.21) with a replica in each named region."""

from __future__ import annotations

DOCUMENTATION = r"""
module: dynamodb_global_table
short_description: Manage the replicas of a DynamoDB global table (version 2019.11.21)
description:
  - Turns an existing table in the home region (the module's C(aws_region)) into a global table with a replica
    in every region of O(regions), and keeps the settings an active-active table needs (streams with
    C(NEW_AND_OLD_IMAGES), server-side encryption, point-in-time recovery and deletion protection).
  - Uses only the current global tables version (C(UpdateTable) with C(ReplicaUpdates)); never the legacy
    2017.11.29 API (C(CreateGlobalTable), C(UpdateGlobalTable)).
  - AWS accepts one replica change per C(UpdateTable) call and only while the table and its replicas are
    C(ACTIVE), so replicas are added and removed one at a time, waiting for C(ACTIVE) before each call.
  - Streams are always enabled with C(NEW_AND_OLD_IMAGES), which replication requires; the module fails,
    changing nothing, when streams are already on with another view type (changing it means disabling the
    stream, which breaks every consumer, so that is left to a person).
  - M(amazon.aws.dynamodb_table) creates the table (keys, billing mode, indexes, tags); run it first.
version_added: 0.1.0
author: Tricontinent team
options:
  name:
    description: Name of the table. It must already exist in the home region.
    type: str
    required: true
  regions:
    description:
      - Every region that must hold a replica, the home region included. Replicas in other regions are removed.
      - Required when O(state=present); ignored when O(state=absent).
    type: list
    elements: str
  sse:
    description:
      - Server-side encryption of the global table (every replica), set with C(UpdateTable) C(SSESpecification).
      - C(aws_owned) uses a key owned by DynamoDB; C(aws_managed_kms) the AWS managed key C(alias/aws/dynamodb)
        of each replica's region. A table on a customer managed key is reported as C(customer_managed_kms) and
        moved to the chosen type.
    type: str
    choices: [aws_owned, aws_managed_kms]
    default: aws_managed_kms
  point_in_time_recovery:
    description: Point-in-time recovery, set in every replica's region (it is a per-replica setting on AWS).
    type: bool
    default: true
  deletion_protection:
    description: Deletion protection, set in every replica's region (it is a per-replica setting on AWS).
    type: bool
    default: true
  state:
    description:
      - C(present) makes the replicas and settings as described.
      - C(absent) lifts deletion protection on every replica and on the home table, then removes every replica
        but the home table, which stays (delete it with M(amazon.aws.dynamodb_table) after a backup). A table
        that does not exist is fine (nothing to do).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the table and every replica are C(ACTIVE) (present) or removed replicas are gone (absent)
        after the last change.
      - Between two changes the module always waits, because AWS refuses a replica change while the table is
        not C(ACTIVE); C(false) only skips the wait after the last one.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait each time the module waits for C(ACTIVE).
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode. The diff shows O(regions), the stream view type, O(sse), and
    O(point_in_time_recovery) and O(deletion_protection) per region.
  - A run with nothing to change makes no mutating call and reports C(changed=false).
  - "IAM, in every replica's region: dynamodb:DescribeTable, UpdateTable, DescribeContinuousBackups,
    UpdateContinuousBackups, CreateTableReplica, DeleteTableReplica, and for replication dynamodb:Scan, Query,
    GetItem, PutItem, UpdateItem, DeleteItem, BatchWriteItem, DescribeStream, GetRecords, GetShardIterator,
    ListStreams on the table; kms:DescribeKey (to tell the AWS managed key from a customer managed one);
    iam:CreateServiceLinkedRole for AWSServiceRoleForDynamoDBReplication on the first replica."
"""

EXAMPLES = r"""
- name: Table in the home region (us-west-2)
  amazon.aws.dynamodb_table:
    name: tricontinent-records
    hash_key_name: id
    range_key_name: version
    billing_mode: PAY_PER_REQUEST

- name: Replicas in Oregon, Ireland and Sydney
  tricontinent.activeactive.dynamodb_global_table:
    name: tricontinent-records
    regions: [us-west-2, eu-west-1, ap-southeast-2]

- name: Remove every replica but the home table, before deleting it
  tricontinent.activeactive.dynamodb_global_table:
    name: tricontinent-records
    state: absent
"""

RETURN = r"""
table_arn: {description: ARN of the home table (empty when it does not exist)., type: str, returned: always}
global_table_version:
  description: C(2019.11.21) once the table has a replica, empty before (check mode - as it is now).
  type: str
  returned: always
regions:
  description: Regions holding the table, home included, sorted (check mode - as they would be).
  type: list
  elements: str
  returned: always
  sample: [ap-southeast-2, eu-west-1, us-west-2]
replicas:
  description:
    - The table in every region, home included, with its status (the home table's C(TableStatus), the
      others' C(ReplicaStatus) as the home region reports them). Check mode - as they are now.
  type: list
  elements: dict
  returned: always
  contains:
    region_name: {description: The region., type: str}
    replica_status:
      description: The status, such as C(ACTIVE), C(CREATING), C(UPDATING) or C(DELETING).
      type: str
  sample: [{region_name: eu-west-1, replica_status: ACTIVE}, {region_name: us-west-2, replica_status: ACTIVE}]
added:
  description: Regions where a replica was (check mode - would be) added, sorted.
  type: list
  elements: str
  returned: always
removed:
  description: Regions whose replica was (check mode - would be) removed, sorted.
  type: list
  elements: str
  returned: always
"""

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

VIEW_TYPE = "NEW_AND_OLD_IMAGES"  # global tables 2019.11.21 replicate from a stream with both images
AWS_MANAGED_KEY = "alias/aws/dynamodb"
# us-west-2, eu-central-2, us-gov-west-1, us-iso-east-1, us-isob-east-1, cn-north-1, mx-central-1 ...
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
STEADY = "ACTIVE"
TRANSIENT = {"CREATING", "UPDATING", "DELETING"}  # anything else but ACTIVE will not get better by waiting
# Table updates in flight and continuous backups still being enabled on a new table are worth retrying.
RETRY = AWSRetry.jittered_backoff(
    retries=10,
    catch_extra_error_codes=[
        "ResourceInUseException",
        "ContinuousBackupsUnavailableException",
        "LimitExceededException",
    ],
)


@dataclass
class Settings:
    """What the diff shows: the table's global shape, per-replica settings keyed by region."""

    regions: list[str]
    stream_view_type: str | None
    sse: str
    point_in_time_recovery: dict[str, bool] = field(default_factory=dict)
    deletion_protection: dict[str, bool] = field(default_factory=dict)


class GlobalTable:
    """One table name across regions: a client per region, and the waits AWS needs between changes."""

    def __init__(self, module: AnsibleAWSModule, name: str, home: str) -> None:
        self.module = module
        self.name = name
        self.home = home
        self._clients: dict[tuple[str, str], Any] = {}
        self.timeout = int(module.params["wait_timeout"])

    def client(self, region: str, service: str = "dynamodb") -> Any:
        if (service, region) not in self._clients:
            self._clients[(service, region)] = self.module.client(service, region=region, retry_decorator=RETRY)
        return self._clients[(service, region)]

    def describe(self, region: str | None = None) -> dict[str, Any] | None:
        """The table's description in `region` (home by default), None when there is no table there."""
        ddb = self.client(region or self.home)
        try:
            return ddb.describe_table(TableName=self.name, aws_retry=True)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            return None
        except Exception as exc:  # botocore errors and connection failures alike
            self.module.fail_json_aws(exc, msg=f"Could not describe table {self.name} in {region or self.home}")

    def settle(self) -> dict[str, Any]:
        """Wait until the home table and every replica are ACTIVE; fail at once on a status that will not pass."""
        deadline = time.monotonic() + self.timeout
        delay = 1.0
        while True:
            table = self.describe()
            if table is None:
                self.module.fail_json(msg=f"Table {self.name} disappeared from {self.home} while being changed")
            statuses = statuses_of(table, self.home)
            stuck = {r: s for r, s in statuses.items() if s != STEADY and s not in TRANSIENT}
            if stuck:
                self.module.fail_json(msg=f"Table {self.name}: replicas in a failed state: {stuck}", replicas=stuck)
            if all(s == STEADY for s in statuses.values()):
                return table
            if time.monotonic() + delay > deadline:
                busy = {r: s for r, s in statuses.items() if s != STEADY}
                self.module.fail_json(msg=f"Timed out after {self.timeout}s waiting for table {self.name}: {busy}")
            time.sleep(delay)
            delay = min(delay * 2, 15.0)

    def update_table(self, region: str, what: str, **kwargs: Any) -> None:
        """UpdateTable in `region` once everything is ACTIVE, which AWS requires of the next change."""
        self.settle()
        try:
            self.client(region).update_table(TableName=self.name, aws_retry=True, **kwargs)
        except Exception as exc:  # botocore errors and connection failures alike
            self.module.fail_json_aws(exc, msg=f"Could not {what} (table {self.name}, {region})")

    def point_in_time_recovery(self, region: str) -> bool:
        try:
            backups = self.client(region).describe_continuous_backups(TableName=self.name, aws_retry=True)
        except Exception as exc:  # botocore errors and connection failures alike
            self.module.fail_json_aws(exc, msg=f"Could not read point-in-time recovery of {self.name} in {region}")
        pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        return pitr.get("PointInTimeRecoveryStatus") in ("ENABLED", "ENABLING")

    def set_point_in_time_recovery(self, region: str, enabled: bool) -> None:
        try:
            self.client(region).update_continuous_backups(
                TableName=self.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
                aws_retry=True,
            )
        except Exception as exc:  # botocore errors and connection failures alike
            self.module.fail_json_aws(exc, msg=f"Could not set point-in-time recovery of {self.name} in {region}")

    def sse_of(self, table: dict[str, Any]) -> str:
        """aws_owned, aws_managed_kms or customer_managed_kms, from the home table's SSEDescription."""
        sse = table.get("SSEDescription") or {}
        if sse.get("Status") not in ("ENABLED", "ENABLING", "UPDATING") or sse.get("SSEType") != "KMS":
            return "aws_owned"
        arn = sse.get("KMSMasterKeyArn")
        if not arn:
            return "aws_managed_kms"
        # The description does not say whose key it is: compare with this region's AWS managed DynamoDB key.
        kms = self.client(self.home, "kms")
        try:
            managed = kms.describe_key(KeyId=AWS_MANAGED_KEY, aws_retry=True)["KeyMetadata"]["Arn"]
        except kms.exceptions.NotFoundException:
            return "customer_managed_kms"  # the AWS managed key does not exist yet, so this one is not it
        except Exception as exc:  # botocore errors and connection failures alike
            self.module.fail_json_aws(exc, msg=f"Could not look up {AWS_MANAGED_KEY} in {self.home}")
        return "aws_managed_kms" if arn == managed else "customer_managed_kms"


def statuses_of(table: dict[str, Any], home: str) -> dict[str, str]:
    """Region -> status for the home table and every replica DescribeTable names."""
    statuses = {r["RegionName"]: r.get("ReplicaStatus", "") for r in table.get("Replicas") or []}
    statuses[home] = table.get("TableStatus", "")  # AWS may list the home region too; its table status wins
    return statuses


def replica_regions(table: dict[str, Any], home: str) -> list[str]:
    """Regions holding the table, home included; one already being deleted does not count."""
    return sorted(r for r, s in statuses_of(table, home).items() if s != "DELETING")


def check_regions(module: AnsibleAWSModule, home: str, regions: list[str]) -> list[str]:
    bad = [r for r in regions if not REGION_PATTERN.match(r)]
    if bad:
        module.fail_json(msg=f"regions: not region names: {bad} (expected names like us-west-2)")
    twice = sorted({r for r in regions if regions.count(r) > 1})
    if twice:
        module.fail_json(msg=f"regions: named more than once: {twice}")
    if home not in regions:
        module.fail_json(msg=f"regions must include the home region {home} (aws_region), where the table lives")
    return sorted(regions)


def stream_view_type(table: dict[str, Any]) -> str | None:
    spec = table.get("StreamSpecification") or {}
    return spec.get("StreamViewType") if spec.get("StreamEnabled") else None


def current_settings(gt: GlobalTable, table: dict[str, Any]) -> Settings:
    regions = replica_regions(table, gt.home)
    return Settings(
        regions=regions,
        stream_view_type=stream_view_type(table),
        sse=gt.sse_of(table),
        point_in_time_recovery={r: gt.point_in_time_recovery(r) for r in regions},
        deletion_protection={r: protected(gt, r, table) for r in regions},
    )


def protected(gt: GlobalTable, region: str, home_table: dict[str, Any]) -> bool:
    """DeletionProtectionEnabled of the table in `region` (a per-replica setting, so read it there)."""
    table = home_table if region == gt.home else gt.describe(region)
    return bool((table or {}).get("DeletionProtectionEnabled", False))


def sse_specification(sse: str, current: str) -> dict[str, Any]:
    if sse == "aws_owned":
        return {"Enabled": False}
    spec: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
    if current == "customer_managed_kms":
        spec["KMSMasterKeyId"] = AWS_MANAGED_KEY  # leaving a customer key: name the AWS managed one explicitly
    return spec


def wanted_settings(params: dict[str, Any], regions: list[str]) -> Settings:
    return Settings(
        regions=regions,
        stream_view_type=VIEW_TYPE,
        sse=params["sse"],
        point_in_time_recovery=dict.fromkeys(regions, params["point_in_time_recovery"]),
        deletion_protection=dict.fromkeys(regions, params["deletion_protection"]),
    )


def converge(gt: GlobalTable, before: Settings, after: Settings) -> None:
    """Make the table look like `after`: streams and SSE first (new replicas copy them), then replicas."""
    if before.stream_view_type is None:
        gt.update_table(
            gt.home, "enable streams", StreamSpecification={"StreamEnabled": True, "StreamViewType": VIEW_TYPE}
        )
    if before.sse != after.sse:
        gt.update_table(gt.home, "change encryption", SSESpecification=sse_specification(after.sse, before.sse))
    # Adding before removing keeps the most replicas serving while the change runs.
    for region in sorted(set(after.regions) - set(before.regions)):
        gt.update_table(gt.home, f"add the replica in {region}", ReplicaUpdates=[{"Create": {"RegionName": region}}])
    for region in sorted(set(before.regions) - set(after.regions)):
        remove_replica(gt, region, before.deletion_protection.get(region, False))
    for region in after.regions:
        if before.point_in_time_recovery.get(region) != after.point_in_time_recovery[region]:
            gt.settle()  # a replica just added must be ACTIVE before its backups can be configured
            gt.set_point_in_time_recovery(region, after.point_in_time_recovery[region])
        if before.deletion_protection.get(region) != after.deletion_protection[region]:
            gt.update_table(
                region, "set deletion protection", DeletionProtectionEnabled=after.deletion_protection[region]
            )


def remove_replica(gt: GlobalTable, region: str, is_protected: bool) -> None:
    # AWS refuses to delete a replica whose own deletion protection is on; lift it in that region first.
    if is_protected:
        gt.update_table(region, "lift deletion protection", DeletionProtectionEnabled=False)
    gt.update_table(gt.home, f"remove the replica in {region}", ReplicaUpdates=[{"Delete": {"RegionName": region}}])


def absent_settings(before: Settings, home: str) -> Settings:
    return Settings(
        regions=[home],
        stream_view_type=before.stream_view_type,
        sse=before.sse,
        point_in_time_recovery={home: before.point_in_time_recovery.get(home, False)},
        deletion_protection={home: False},
    )


def tear_down(gt: GlobalTable, before: Settings) -> None:
    for region in before.regions:
        if region != gt.home:
            remove_replica(gt, region, before.deletion_protection.get(region, False))
    if before.deletion_protection.get(gt.home):
        gt.update_table(gt.home, "lift deletion protection", DeletionProtectionEnabled=False)


def report(gt: GlobalTable, table: dict[str, Any] | None, regions: list[str]) -> dict[str, Any]:
    """The return values that describe the table itself."""
    table = table or {}
    statuses = statuses_of(table, gt.home) if table else {}
    return {
        "table_arn": table.get("TableArn", ""),
        "global_table_version": table.get("GlobalTableVersion", "") if table.get("Replicas") else "",
        "regions": regions,
        "replicas": [{"region_name": r, "replica_status": s} for r, s in sorted(statuses.items())],
    }


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "regions": {"type": "list", "elements": "str"},
            "sse": {"type": "str", "choices": ["aws_owned", "aws_managed_kms"], "default": "aws_managed_kms"},
            "point_in_time_recovery": {"type": "bool", "default": True},
            "deletion_protection": {"type": "bool", "default": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 1200},
        },
        required_if=[("state", "present", ["regions"])],
        supports_check_mode=True,
    )
    params = module.params
    home = module.region
    if not home:
        module.fail_json(msg="aws_region (the home region, where the table lives) is required")
    present = params["state"] == "present"
    regions = check_regions(module, home, params["regions"]) if present else []
    gt = GlobalTable(module, params["name"], home)

    table = gt.describe()
    if table is None:
        if present:
            module.fail_json(
                msg=f"Table {params['name']} does not exist in {home}: create it first (amazon.aws.dynamodb_table)"
            )
        module.exit_json(changed=False, added=[], removed=[], **report(gt, None, []))

    table = gt.settle()  # read settings only once nothing is in flight, or the plan could be stale
    before = current_settings(gt, table)
    if present and before.stream_view_type not in (None, VIEW_TYPE):
        module.fail_json(
            msg=f"Table {params['name']} streams {before.stream_view_type}; global tables need {VIEW_TYPE}."
            " Changing the view type means disabling the stream (its consumers lose their place): do it by hand"
        )
    after = wanted_settings(params, regions) if present else absent_settings(before, home)
    changed = asdict(before) != asdict(after)
    if changed and not module.check_mode:
        if present:
            converge(gt, before, after)
        else:
            tear_down(gt, before)
        table = gt.settle() if params["wait"] else gt.describe()

    module.exit_json(
        changed=changed,
        added=sorted(set(after.regions) - set(before.regions)),
        removed=sorted(set(before.regions) - set(after.regions)),
        diff={"before": asdict(before), "after": asdict(after)},
        **report(gt, table, after.regions if module.check_mode else replica_regions(table or {}, home)),
    )


if __name__ == "__main__":
    main()
