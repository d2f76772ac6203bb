#!/usr/bin/python
"""Set the weights of an ALB listener's weighted forward, and the ALB's LiveColour tag, touching nothing else."""

from __future__ import annotations

DOCUMENTATION = r"""
module: alb_traffic
short_description: Shift traffic between the target groups of an ALB listener's weighted forward
description:
  - Changes only the weights of the target groups in a listener's default forward action, and optionally the
    load balancer's C(LiveColour) tag. Listener rules, certificates, the TLS policy and any other setting are
    left exactly as they are, so a rule someone added by hand survives a canary.
  - M(amazon.aws.elb_application_lb) can change weights too, but only by restating the whole load balancer
    and every listener; a canary must not own all of that.
version_added: 0.1.0
author: Tricontinent team
options:
  load_balancer_name:
    description: Name of the application load balancer.
    type: str
    required: true
  listener_port:
    description: Port of the listener whose default action is the weighted forward.
    type: int
    default: 443
  weights:
    description:
      - "Weight per colour, for example C({blue: 90, green: 10}). A colour is the part of a target group's name
        after the last C(-) (C(tricontinent-production-green) is C(green)). Omit to leave the weights alone."
      - Each weight is 0..999 (the ALB's range); colours not named keep their weight.
    type: dict
  live_colour:
    description: Set the load balancer's C(LiveColour) tag to this value. Omit to leave it alone.
    type: str
  tags:
    description: Further tags to add or update on the load balancer (never removes one), such as C(RetireAfter).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Supports check mode and diff mode.
  - "IAM: elasticloadbalancing:DescribeLoadBalancers, DescribeListeners, DescribeTags, ModifyListener, AddTags."
"""

EXAMPLES = r"""
- name: Send 10% to green
  tricontinent.activeactive.alb_traffic:
    load_balancer_name: tricontinent-production
    weights: {blue: 90, green: 10}

- name: Promote green
  tricontinent.activeactive.alb_traffic:
    load_balancer_name: tricontinent-production
    weights: {blue: 0, green: 100}
    live_colour: green
    tags:
      RetireAfter: "1767225600"
"""

RETURN = r"""
load_balancer_arn: {description: ARN of the load balancer., type: str, returned: always}
listener_arn: {description: ARN of the listener., type: str, returned: always}
weights_before: {description: Weight per colour before the change., type: dict, returned: always}
weights:
  description: Weight per colour after the change (in check mode, what it would be).
  type: dict
  returned: always
live_colour_before: {description: The LiveColour tag before the change (empty when none)., type: str, returned: always}
live_colour: {description: The LiveColour tag after the change., type: str, returned: always}
tags: {description: Every tag of the load balancer after the change., type: dict, returned: always}
"""

import copy
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MAX_WEIGHT = 999  # ForwardConfig TargetGroupTuple.Weight range


def colour_of(target_group_arn: str) -> str:
    """targetgroup/<prefix>-<colour>/<id> -> <colour>."""
    name = target_group_arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]
    return name.rsplit("-", 1)[-1]


def forward_action(actions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((a for a in actions if a.get("Type") == "forward" and a.get("ForwardConfig")), None)


def current_weights(action: dict[str, Any]) -> dict[str, int]:
    return {colour_of(t["TargetGroupArn"]): int(t.get("Weight", 1)) for t in action["ForwardConfig"]["TargetGroups"]}


def with_weights(actions: list[dict[str, Any]], weights: dict[str, int]) -> list[dict[str, Any]]:
    """The listener's default actions with only the forward's weights replaced."""
    updated = copy.deepcopy(actions)
    forward = forward_action(updated)
    assert forward is not None
    for target in forward["ForwardConfig"]["TargetGroups"]:
        colour = colour_of(target["TargetGroupArn"])
        if colour in weights:
            target["Weight"] = weights[colour]
    # A forward with a ForwardConfig must not also carry the single-target form.
    forward.pop("TargetGroupArn", None)
    return updated


def check_weights(module: AnsibleAWSModule, wanted: dict[str, Any], known: dict[str, int]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for colour, value in wanted.items():
        if colour not in known:
            module.fail_json(msg=f"weights: no target group for colour '{colour}' in the forward (has {sorted(known)})")
        try:
            weight = int(str(value))
        except ValueError:
            weight = -1
        if not 0 <= weight <= MAX_WEIGHT or str(value).strip() != str(weight):
            module.fail_json(msg=f"weights.{colour} must be a whole number 0..{MAX_WEIGHT}, got {value!r}")
        checked[colour] = weight
    return checked


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "load_balancer_name": {"type": "str", "required": True},
            "listener_port": {"type": "int", "default": 443},
            "weights": {"type": "dict"},
            "live_colour": {"type": "str"},
            "tags": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        lb = client.describe_load_balancers(Names=[params["load_balancer_name"]])["LoadBalancers"][0]
        lb_arn = lb["LoadBalancerArn"]
        listeners = client.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
        tags = client.describe_tags(ResourceArns=[lb_arn])["TagDescriptions"][0]["Tags"]
    except client.exceptions.LoadBalancerNotFoundException:
        module.fail_json(msg=f"No load balancer named {params['load_balancer_name']}: run site.yml first")
    except Exception as exc:  # botocore errors and connection failures alike
        module.fail_json_aws(exc, msg="Could not read the load balancer")

    listener = next((item for item in listeners if item["Port"] == params["listener_port"]), None)
    forward = forward_action(listener["DefaultActions"]) if listener else None
    if listener is None or forward is None:
        name, port = params["load_balancer_name"], params["listener_port"]
        module.fail_json(msg=f"{name} has no weighted forward on port {port}")

    before = current_weights(forward)
    wanted = check_weights(module, params["weights"] or {}, before)
    after = {**before, **wanted}
    tags_before = {t["Key"]: t["Value"] for t in tags}
    wanted_tags = {str(k): str(v) for k, v in params["tags"].items()}
    if params["live_colour"] is not None:
        wanted_tags["LiveColour"] = params["live_colour"]
    tags_after = {**tags_before, **wanted_tags}
    live_before = tags_before.get("LiveColour", "")

    changed = after != before or tags_after != tags_before
    if changed and not module.check_mode:
        try:
            if after != before:
                client.modify_listener(
                    ListenerArn=listener["ListenerArn"], DefaultActions=with_weights(listener["DefaultActions"], after)
                )
            if tags_after != tags_before:
                new_tags = [{"Key": k, "Value": v} for k, v in wanted_tags.items() if tags_before.get(k) != v]
                client.add_tags(ResourceArns=[lb_arn], Tags=new_tags)
        except Exception as exc:  # botocore errors and connection failures alike
            module.fail_json_aws(exc, msg="Could not change the listener's weights or the LiveColour tag")

    module.exit_json(
        changed=changed,
        load_balancer_arn=lb_arn,
        listener_arn=listener["ListenerArn"],
        weights_before=before,
        weights=after,
        live_colour_before=live_before,
        live_colour=tags_after.get("LiveColour", ""),
        tags=tags_after,
        diff={"before": {"weights": before, "tags": tags_before}, "after": {"weights": after, "tags": tags_after}},
    )


if __name__ == "__main__":
    main()
