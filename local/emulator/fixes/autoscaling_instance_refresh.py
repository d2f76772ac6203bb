"""Auto Scaling instance refresh: StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh.

AWS replaces a group's instances with ones from the group's (or ``DesiredConfiguration``'s) launch template
and reports progress through DescribeInstanceRefreshes, newest first, status ``Pending`` -> ``InProgress`` ->
``Successful`` (or ``Cancelled``); only one refresh may be active per group (``InstanceRefreshInProgress``), and
CancelInstanceRefresh fails with ``ActiveInstanceRefreshNotFound`` when none is (Amazon EC2 Auto Scaling API
Reference; User Guide, "Use an instance refresh to update instances"). Stock moto implements none of them.

Here a refresh replaces every instance at once, launching first and then terminating. It is ``Successful``
immediately unless lifecycle hooks hold the new instances (``EMULATOR_LIFECYCLE_HOLD=1``); it then stays
``InProgress`` until none of the group's instances is in ``Pending:Wait``, and can be cancelled meanwhile.
Preferences are stored and echoed, not interpreted. A ``DesiredConfiguration.LaunchTemplate`` becomes the
group's launch template, as AWS does once the refresh succeeds. Each instance reports the launch template
version it was launched from (DescribeAutoScalingGroups ``Instances[].LaunchTemplate.Version``), as on AWS;
stock moto reports the template's default version for every instance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import (
    AutoScalingBackend,
    FakeAutoScalingGroup,
    InstanceState,
)
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from emulator.fixes.autoscaling_lifecycle import LIVE_STATES, begin_termination

ACTIVE = ("Pending", "InProgress")


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


@dataclass
class Refresh:
    group_name: str
    preferences: dict[str, Any]
    desired_configuration: dict[str, Any]
    strategy: str = "Rolling"
    refresh_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "InProgress"
    start_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    end_time: datetime | None = None

    def end(self, status: str) -> None:
        self.status = status
        self.end_time = datetime.now(UTC)

    def update(self, group: FakeAutoScalingGroup | None) -> None:
        holding = group is not None and any(s.lifecycle_state == "Pending:Wait" for s in group.instance_states)
        if self.status == "InProgress" and not holding:
            self.end("Successful")

    def describe(self) -> dict[str, Any]:
        done = self.status == "Successful"
        result: dict[str, Any] = {
            "InstanceRefreshId": self.refresh_id,
            "AutoScalingGroupName": self.group_name,
            "Status": self.status,
            "StartTime": self.start_time,
            "PercentageComplete": 100 if done else 0,
            "InstancesToUpdate": 0,
            "Preferences": self.preferences,
            "Strategy": self.strategy,
        }
        if self.desired_configuration:
            result["DesiredConfiguration"] = self.desired_configuration
        if self.end_time is not None:
            result["EndTime"] = self.end_time
        return result


def refreshes(backend: AutoScalingBackend) -> dict[str, list[Refresh]]:
    return backend.__dict__.setdefault("_emulator_refreshes", {})


def _group(response: AutoScalingResponse) -> FakeAutoScalingGroup:
    name = response._get_param("AutoScalingGroupName")
    group = response.autoscaling_backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {name} not found")
    return group


def _history(response: AutoScalingResponse, group: FakeAutoScalingGroup) -> list[Refresh]:
    history = refreshes(response.autoscaling_backend).setdefault(group.name, [])
    for refresh in history:
        refresh.update(group)
    return history


def start_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    group = _group(self)
    history = _history(self, group)
    if any(r.status in ACTIVE for r in history):
        raise InstanceRefreshInProgress(
            "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh"
            f" for group {group.name}."
        )
    desired = self._get_param("DesiredConfiguration") or {}
    refresh = Refresh(
        group_name=group.name,
        preferences=self._get_param("Preferences") or {},
        desired_configuration=desired,
        strategy=self._get_param("Strategy") or "Rolling",
    )
    if desired.get("LaunchTemplate"):
        group._set_launch_configuration(None, desired["LaunchTemplate"], None)  # type: ignore[arg-type]
    old = [s for s in group.instance_states if s.lifecycle_state in LIVE_STATES]
    if old:
        group.replace_autoscaling_group_instances(len(old), group.get_propagated_tags())
        for state in old:
            begin_termination(group, state)
        backend = self.autoscaling_backend
        backend.update_attached_elbs(group.name)
        backend.update_attached_target_groups(group.name)
    history.insert(0, refresh)
    refresh.update(group)
    return ActionResult({"InstanceRefreshId": refresh.refresh_id})


def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
    group = _group(self)
    wanted = set(self._get_param("InstanceRefreshIds") or [])
    found = [r.describe() for r in _history(self, group) if not wanted or r.refresh_id in wanted]
    return ActionResult({"InstanceRefreshes": found})


def cancel_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    group = _group(self)
    active = next((r for r in _history(self, group) if r.status in ACTIVE), None)
    if active is None:
        raise ActiveInstanceRefreshNotFound(
            f"No in progress or pending Instance Refresh found for Auto Scaling group {group.name}"
        )
    active.end("Cancelled")
    return ActionResult({"InstanceRefreshId": active.refresh_id})


def _instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
    """The launch template version the instance was launched from (moto reports the template's default)."""
    group = self.auto_scaling_group
    if group is None or group.ec2_launch_template is None:
        return None
    version = self.__dict__.get("_emulator_lt_version") or str(group.ec2_launch_template.default_version_number)
    return {
        "LaunchTemplateId": group.ec2_launch_template.id,
        "LaunchTemplateName": group.ec2_launch_template.name,
        "Version": version,
    }


def apply() -> None:
    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances

    def replace_autoscaling_group_instances(
        self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]
    ) -> None:
        before = {id(s) for s in self.instance_states}
        original_replace(self, count_needed, propagated_tags)
        if self.ec2_launch_template is not None:
            number = str(self.ec2_launch_template.get_version(self.launch_template_version).number)
            for state in self.instance_states:
                if id(state) not in before:
                    state.__dict__["_emulator_lt_version"] = number

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]
    InstanceState.launch_template = property(_instance_launch_template)  # type: ignore[assignment,method-assign]
    AutoScalingResponse.start_instance_refresh = start_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes  # type: ignore[attr-defined]
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh  # type: ignore[attr-defined]
