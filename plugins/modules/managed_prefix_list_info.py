#!/usr/bin/python
"""Look up EC2 managed prefix lists by name (no amazon.aws / community.aws module does)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_prefix_list_info
short_description: Find EC2 managed prefix lists by name
description:
  - Returns the managed prefix lists whose names are given, such as the AWS-managed
    C(com.amazonaws.global.cloudfront.origin-facing) list that lets a security group admit only CloudFront.
  - Neither amazon.aws nor community.aws has a module for DescribeManagedPrefixLists.
version_added: 0.1.0
author: Tricontinent team
options:
  names:
    description: Prefix list names to look up.
    type: list
    elements: str
    required: true
  require_all:
    description: Fail, naming the missing ones, unless every name is found.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Read-only; supports check mode.
  - "IAM: ec2:DescribeManagedPrefixLists."
"""

EXAMPLES = r"""
- name: Find CloudFront's origin-facing prefix list
  tricontinent.activeactive.managed_prefix_list_info:
    names: [com.amazonaws.global.cloudfront.origin-facing]
  register: cloudfront_prefix_list
"""

RETURN = r"""
prefix_lists:
  description: The lists found, in the order of O(names).
  returned: always
  type: list
  elements: dict
  contains:
    prefix_list_id: {description: The list's id (pl-...)., type: str, returned: always}
    prefix_list_name: {description: The list's name., type: str, returned: always}
    max_entries: {description: How many rules the list counts as in a security group., type: int, returned: always}
    owner_id: {description: The owner (AWS for AWS-managed lists)., type: str, returned: always}
by_name:
  description: The same lists keyed by name.
  returned: always
  type: dict
"""

from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def describe_prefix_lists(client: Any, names: list[str]) -> list[dict[str, Any]]:
    paginator = client.get_paginator("describe_managed_prefix_lists")
    pages = paginator.paginate(Filters=[{"Name": "prefix-list-name", "Values": names}]).build_full_result()
    return pages.get("PrefixLists", [])


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "required": True},
            "require_all": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    names: list[str] = module.params["names"]
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = describe_prefix_lists(client, names)
    except Exception as exc:  # botocore errors and connection failures alike
        module.fail_json_aws(exc, msg="Could not describe managed prefix lists")
    by_name = {pl["PrefixListName"]: camel_dict_to_snake_dict(pl) for pl in found}
    missing = [name for name in names if name not in by_name]
    if missing and module.params["require_all"]:
        module.fail_json(msg=f"Managed prefix lists not found in this region: {', '.join(missing)}", missing=missing)
    module.exit_json(changed=False, prefix_lists=[by_name[n] for n in names if n in by_name], by_name=by_name)


if __name__ == "__main__":
    main()
