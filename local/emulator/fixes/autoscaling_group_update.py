"""Auto Scaling: UpdateAutoScalingGroup applies ``TerminationPolicies`` and ``DefaultCooldown``.

On AWS, ``UpdateAutoScalingGroup`` changes every parameter it is given and leaves the others; ``TerminationPolicies``
(the order in which scale-in picks instances) and ``DefaultCooldown`` are among them, and DescribeAutoScalingGroups
reports the new values (Amazon EC2 Auto Scaling API Reference, ``UpdateAutoScalingGroup``; User Guide, "Configure
termination policies"). Stock moto ignores both on update (its docstring says so), so a group created with the
defaults kept ``["Default"]`` and 300 s whatever was asked: ``amazon.aws.autoscaling_group`` then looked right and a
role comparing the group with its wanted settings saw a difference on every run.
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.responses import AutoScalingResponse


def apply() -> None:
    original = AutoScalingResponse.update_auto_scaling_group

    def update_auto_scaling_group(self: AutoScalingResponse) -> Any:
        result = original(self)
        group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
        policies = self._get_param("TerminationPolicies", [])
        if policies:
            group.termination_policies = policies
        cooldown = self._get_int_param("DefaultCooldown")
        if cooldown is not None:
            group.default_cooldown = cooldown
        return result

    AutoScalingResponse.update_auto_scaling_group = update_auto_scaling_group  # type: ignore[method-assign]
