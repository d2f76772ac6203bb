"""ELBv2: an application load balancer reports its full default attribute set.

DescribeLoadBalancerAttributes on a new application load balancer returns every attribute with its default
(Elastic Load Balancing API Reference, ``LoadBalancerAttribute``; "Application Load Balancers" user guide,
"Load balancer attributes"): among them ``access_logs.s3.enabled=false``, ``idle_timeout.timeout_seconds=60``,
``routing.http2.enabled=true``, ``routing.http.drop_invalid_header_fields.enabled=false``,
``routing.http.desync_mitigation_mode=defensive``, ``waf.fail_open.enabled=false`` and, since cross-zone load
balancing is always on for ALBs, ``load_balancing.cross_zone.enabled=true``. Stock moto leaves out
``access_logs.s3.enabled`` and ``idle_timeout.timeout_seconds`` (for Terraform's sake), and
``amazon.aws.elb_application_lb`` fails with a KeyError when it compares ``access_logs_enabled``.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2 import models

ALB_DEFAULTS: dict[str, str] = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
}


def apply() -> None:
    original_init = models.FakeLoadBalancer.__init__

    def init_with_alb_defaults(self: models.FakeLoadBalancer, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.type == "application":
            # Attributes given at creation (CreateLoadBalancer has none, but keep any moto set) win.
            self.attrs = {**ALB_DEFAULTS, **self.attrs, "load_balancing.cross_zone.enabled": "true"}

    models.FakeLoadBalancer.__init__ = init_with_alb_defaults  # type: ignore[method-assign]
