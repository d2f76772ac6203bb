"""Auto Scaling: EnableMetricsCollection / DisableMetricsCollection behave as AWS documents.

EnableMetricsCollection adds the named group metrics (all of them when ``Metrics`` is omitted) at the given
granularity; DisableMetricsCollection removes the named ones (all when omitted) — Amazon EC2 Auto Scaling API
Reference, ``EnableMetricsCollection`` / ``DisableMetricsCollection``. DescribeAutoScalingGroups reports them in
``EnabledMetrics``. Stock moto replaces the list on enable, returns nothing for "all", and has no
DisableMetricsCollection (``amazon.aws.autoscaling_group`` calls it on every update with
``metrics_collection: false``).
"""

from __future__ import annotations

from moto.autoscaling.models import FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult

ALL_METRICS: tuple[str, ...] = (
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
)


def _group(response: AutoScalingResponse) -> FakeAutoScalingGroup:
    name = response._get_param("AutoScalingGroupName")
    return response.autoscaling_backend.describe_auto_scaling_groups([name])[0]


def enable_metrics_collection(self: AutoScalingResponse) -> ActionResult:
    group = _group(self)
    wanted = self._get_param("Metrics") or list(ALL_METRICS)
    group.metrics = list(dict.fromkeys([*group.metrics, *wanted]))
    return EmptyResult()


def disable_metrics_collection(self: AutoScalingResponse) -> ActionResult:
    group = _group(self)
    unwanted = set(self._get_param("Metrics") or ALL_METRICS)
    group.metrics = [m for m in group.metrics if m not in unwanted]
    return EmptyResult()


def apply() -> None:
    AutoScalingResponse.enable_metrics_collection = enable_metrics_collection  # type: ignore[method-assign]
    AutoScalingResponse.disable_metrics_collection = disable_metrics_collection  # type: ignore[attr-defined]
