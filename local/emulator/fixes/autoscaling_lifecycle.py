"""Auto Scaling lifecycle hooks: CompleteLifecycleAction, RecordLifecycleActionHeartbeat, and (optionally) waits.

AWS implements CompleteLifecycleAction and RecordLifecycleActionHeartbeat (Amazon EC2 Auto Scaling API
Reference); stock moto answers both with a 500. On AWS a launching hook holds each new instance in
``Pending:Wait`` until CompleteLifecycleAction (``CONTINUE`` -> ``InService``, ``ABANDON`` -> terminated and
replaced) or until the hook's heartbeat timeout, when its ``DefaultResult`` applies; a terminating hook holds
the instance in ``Terminating:Wait`` and either result then terminates it (EC2 Auto Scaling User Guide,
"Amazon EC2 Auto Scaling lifecycle hooks" and "Complete a lifecycle action"). A heartbeat restarts the timeout.

Holding is off by default (``EMULATOR_LIFECYCLE_HOLD`` unset): instances go straight to ``InService`` as in
stock moto, and CompleteLifecycleAction / RecordLifecycleActionHeartbeat succeed as no-ops for instances of the
group, so the local instance runner can call them exactly as an instance does on AWS. With
``EMULATOR_LIFECYCLE_HOLD=1`` the waits above happen; expired waits are resolved on the next Auto Scaling call.
Only the group's desired capacity is honoured in hold mode (mixed-instances weighting is ignored), and only
``InService`` instances are registered with the group's target groups, as on AWS.

TerminateInstanceInAutoScalingGroup goes through the terminating hook too when holding (moto terminated the
instance at once): the instance is deregistered and waits in ``Terminating:Wait``; with
``ShouldDecrementDesiredCapacity=false`` a replacement launches at once (held by the launching hook), with
``true`` the desired capacity drops by one, refused below the group's minimum as AWS refuses it
(API Reference, TerminateInstanceInAutoScalingGroup).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import (
    AutoScalingBackend,
    FakeAutoScalingGroup,
    InstanceState,
    LifecycleHook,
    TerminateInstanceActivity,
)
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
LIVE_STATES = frozenset({"Pending", "Pending:Wait", "Pending:Proceed", "InService"})


@dataclass
class Wait:
    hook: LifecycleHook
    token: str
    deadline: float

    def heartbeat(self) -> None:
        self.deadline = time.monotonic() + self.hook.heartbeat_timeout


def hold_enabled() -> bool:
    return os.environ.get("EMULATOR_LIFECYCLE_HOLD", "") == "1"


def _wait_of(state: InstanceState) -> Wait | None:
    return state.__dict__.get("_emulator_wait")


def _set_wait(state: InstanceState, wait: Wait | None) -> None:
    state.__dict__["_emulator_wait"] = wait


def _hook(group: FakeAutoScalingGroup, transition: str) -> LifecycleHook | None:
    hooks = group.autoscaling_backend.describe_lifecycle_hooks(group.name)
    return next((h for h in hooks if h.lifecycle_transition == transition), None)


def _hold(state: InstanceState, hook: LifecycleHook, lifecycle_state: str) -> None:
    state.lifecycle_state = lifecycle_state
    wait = Wait(hook=hook, token=str(uuid.uuid4()), deadline=0.0)
    wait.heartbeat()
    _set_wait(state, wait)


def _refresh_targets(group: FakeAutoScalingGroup) -> None:
    backend = group.autoscaling_backend
    if group.name in backend.autoscaling_groups:
        backend.update_attached_elbs(group.name)
        backend.update_attached_target_groups(group.name)


def _terminate_now(group: FakeAutoScalingGroup, state: InstanceState) -> None:
    group.instance_states = [s for s in group.instance_states if s is not state]
    _deregister(group, [state.instance.id])
    group.autoscaling_backend.ec2_backend.terminate_instances([state.instance.id])


def _deregister(group: FakeAutoScalingGroup, instance_ids: list[str]) -> None:
    backend = group.autoscaling_backend
    if not group.target_group_arns or group.name not in backend.autoscaling_groups:
        return
    for tg in backend.elbv2_backend.describe_target_groups(
        target_group_arns=group.target_group_arns, load_balancer_arn=None, names=None
    ):
        present = [i for i in instance_ids if i in tg.targets]
        if present:
            backend.elbv2_backend.deregister_targets(tg.arn, [{"Id": i} for i in present])


def begin_termination(group: FakeAutoScalingGroup, state: InstanceState) -> None:
    """Terminate an instance of the group, through its terminating hook when holding."""
    hook = _hook(group, TERMINATING)
    if hold_enabled() and hook is not None and not group.__dict__.get("_emulator_deleting"):
        _deregister(group, [state.instance.id])
        _hold(state, hook, "Terminating:Wait")
    else:
        _terminate_now(group, state)


def set_desired_capacity_holding(group: FakeAutoScalingGroup, new_capacity: int | None) -> None:
    group.desired_capacity = group.min_size if new_capacity is None else new_capacity
    live = [s for s in group.instance_states if s.lifecycle_state in LIVE_STATES]
    delta = (group.desired_capacity or 0) - len(live)
    if delta > 0:
        group.replace_autoscaling_group_instances(delta, group.get_propagated_tags())
    elif delta < 0:
        for state in [s for s in live if not s.protected_from_scale_in][: abs(delta)]:
            begin_termination(group, state)
    _refresh_targets(group)


def finish(group: FakeAutoScalingGroup, state: InstanceState, result: str) -> None:
    """Resolve a waiting instance with CONTINUE or ABANDON."""
    _set_wait(state, None)
    if state.lifecycle_state == "Pending:Wait":
        if result == "CONTINUE":
            state.lifecycle_state = "InService"
            _refresh_targets(group)
        else:
            _terminate_now(group, state)
            set_desired_capacity_holding(group, group.desired_capacity)
    elif state.lifecycle_state == "Terminating:Wait":
        _terminate_now(group, state)


def expire_waits(backend: AutoScalingBackend) -> None:
    now = time.monotonic()
    for group in list(backend.autoscaling_groups.values()):
        for state in list(group.instance_states):
            wait = _wait_of(state)
            if wait is not None and wait.deadline <= now:
                finish(group, state, wait.hook.default_result)


def _find_waiting(response: AutoScalingResponse) -> tuple[FakeAutoScalingGroup, InstanceState, Wait | None]:
    group_name = response._get_param("AutoScalingGroupName")
    hook_name = response._get_param("LifecycleHookName")
    instance_id = response._get_param("InstanceId")
    token = response._get_param("LifecycleActionToken")
    backend = response.autoscaling_backend
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup {group_name} not found")
    if not any(h.name == hook_name for h in backend.describe_lifecycle_hooks(group_name)):
        raise ValidationError(f"No Lifecycle Hook found with name {hook_name} for group {group_name}")
    for state in group.instance_states:
        wait = _wait_of(state)
        if (instance_id and state.instance.id == instance_id) or (token and wait and wait.token == token):
            if wait is not None and wait.hook.name != hook_name:
                break
            return group, state, wait
    raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id or token}")


def complete_lifecycle_action(self: AutoScalingResponse) -> ActionResult:
    result = self._get_param("LifecycleActionResult")
    if result not in ("CONTINUE", "ABANDON"):
        raise ValidationError("LifecycleActionResult must be CONTINUE or ABANDON")
    group, state, wait = _find_waiting(self)
    if wait is not None:
        finish(group, state, result)
    elif hold_enabled():
        raise ValidationError(f"No active Lifecycle Action found with instance ID {state.instance.id}")
    return EmptyResult()


def record_lifecycle_action_heartbeat(self: AutoScalingResponse) -> ActionResult:
    _, state, wait = _find_waiting(self)
    if wait is not None:
        wait.heartbeat()
    elif hold_enabled():
        raise ValidationError(f"No active Lifecycle Action found with instance ID {state.instance.id}")
    return EmptyResult()


def apply() -> None:
    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances

    def replace_autoscaling_group_instances(
        self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]
    ) -> None:
        before = {id(s) for s in self.instance_states}
        original_replace(self, count_needed, propagated_tags)
        hook = _hook(self, LAUNCHING) if hold_enabled() else None
        if hook is not None:
            for state in self.instance_states:
                if id(state) not in before:
                    _hold(state, hook, "Pending:Wait")

    original_set_desired = FakeAutoScalingGroup.set_desired_capacity

    def set_desired_capacity(self: FakeAutoScalingGroup, new_capacity: int | None) -> None:
        if hold_enabled() and hasattr(self, "metrics"):
            set_desired_capacity_holding(self, new_capacity)
        else:
            original_set_desired(self, new_capacity)

    original_delete = AutoScalingBackend.delete_auto_scaling_group

    def delete_auto_scaling_group(self: AutoScalingBackend, group_name: str) -> None:
        group = self.autoscaling_groups.get(group_name)
        if group is not None:
            # Deleting a group (ForceDelete) terminates its instances without running lifecycle hooks.
            group.__dict__["_emulator_deleting"] = True
            for state in [s for s in group.instance_states if s.lifecycle_state == "Terminating:Wait"]:
                _terminate_now(group, state)
        original_delete(self, group_name)
        # AWS deletes a group's lifecycle hooks with it; moto keeps them for a later group of the same name.
        for key in [k for k, h in self.lifecycle_hooks.items() if h.auto_scaling_group_name == group_name]:
            del self.lifecycle_hooks[key]

    original_update_tgs = AutoScalingBackend.update_attached_target_groups

    def update_attached_target_groups(self: AutoScalingBackend, group_name: str) -> None:
        group = self.autoscaling_groups[group_name]
        # Only InService instances are registered, as on AWS (after the launching hook completes).
        everyone = group.instance_states
        group.instance_states = [s for s in everyone if s.lifecycle_state == "InService"]
        try:
            original_update_tgs(self, group_name)
        finally:
            group.instance_states = everyone

    original_terminate = AutoScalingBackend.terminate_instance

    def terminate_instance(self: AutoScalingBackend, instance_id: str, should_decrement: bool) -> Any:
        found = [(g, st) for g in self.autoscaling_groups.values() for st in g.instance_states]
        group, state = next(((g, st) for g, st in found if st.instance.id == instance_id), (None, None))
        if group is None or state is None or not hold_enabled() or _hook(group, TERMINATING) is None:
            return original_terminate(self, instance_id, should_decrement)
        original_size = group.desired_capacity
        if should_decrement and (group.desired_capacity or 0) - 1 < group.min_size:
            raise ValidationError(
                f"Currently, desiredSize equals minSize ({group.min_size}). Terminating instance without "
                "replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity "
                "flag to false or lower group's min size."
            )
        begin_termination(group, state)
        if should_decrement:
            group.desired_capacity = (group.desired_capacity or 0) - 1
        else:
            set_desired_capacity_holding(group, group.desired_capacity)  # the replacement
        return TerminateInstanceActivity(state.instance, original_size)

    original_call_action: Any = AutoScalingResponse.call_action

    def call_action(self: AutoScalingResponse) -> Any:
        expire_waits(self.autoscaling_backend)
        return original_call_action(self)

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]
    FakeAutoScalingGroup.set_desired_capacity = set_desired_capacity  # type: ignore[method-assign]
    AutoScalingBackend.delete_auto_scaling_group = delete_auto_scaling_group  # type: ignore[method-assign]
    AutoScalingBackend.update_attached_target_groups = update_attached_target_groups  # type: ignore[method-assign]
    AutoScalingBackend.terminate_instance = terminate_instance  # type: ignore[method-assign]
    AutoScalingResponse.call_action = call_action  # type: ignore[method-assign]
    AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action  # type: ignore[attr-defined]
    AutoScalingResponse.record_lifecycle_action_heartbeat = record_lifecycle_action_heartbeat  # type: ignore[attr-defined]
