"""EC2: an instance launched from a launch template keeps the template's metadata options and root volume.

AWS launches with every parameter of the template that the RunInstances call (or the Auto Scaling group
launching from it) does not override (EC2 User Guide, "Launch an instance from a launch template"):

- ``MetadataOptions``: the instance reports the template's ``HttpTokens``, ``HttpPutResponseHopLimit``,
  ``HttpEndpoint``... (EC2 User Guide, "Configure instance metadata options for new instances": "you can use a
  launch template to require IMDSv2 on the instances launched from it"). Stock moto ignores them, so an
  instance from a template requiring IMDSv2 reports ``HttpTokens: optional``.
- ``BlockDeviceMappings``: the AMI's root volume is attached at the AMI's ``RootDeviceName``, and a mapping
  naming that device replaces it with the mapping's size, type and encryption (EC2 User Guide, "Block device
  mappings": "you can override ... the root volume"). Stock moto always attaches an unencrypted 8 GiB volume
  at ``/dev/sda1``, whatever the AMI's root device (``/dev/xvda`` for Amazon Linux 2023), and adds the
  template's root mapping beside it as a second volume.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.instances import Instance, InstanceBackend

# moto's size for a default root volume (it knows no snapshot size for its bundled AMIs).
DEFAULT_ROOT_GIB = 8


def apply() -> None:
    original_run_instances = InstanceBackend.run_instances

    def run_instances(
        self: InstanceBackend, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any
    ) -> Any:
        template = kwargs.get("launch_template")
        if template and not kwargs.get("metadata_options"):
            options = self._get_template_from_args(template).data.get("MetadataOptions")  # type: ignore[attr-defined]
            if options:
                kwargs["metadata_options"] = dict(options)
        return original_run_instances(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]

    def setup_defaults(self: Instance) -> None:
        volume = self.ec2_backend.create_volume(size=DEFAULT_ROOT_GIB, zone_name=self._placement.zone)
        self.ec2_backend.attach_volume(volume.id, self.id, self.root_device_name, True)

    Instance.setup_defaults = setup_defaults  # type: ignore[method-assign]

    original_add_block_device = Instance.add_block_device

    def add_block_device(self: Instance, size: int, device_path: str, *args: Any, **kwargs: Any) -> None:
        replaced = self.block_device_mapping.get(device_path)
        if replaced is not None:
            # A mapping for the device the AMI's root volume holds: the mapping's volume takes its place.
            self.ec2_backend.detach_volume(replaced.volume_id, self.id, device_path)
            self.ec2_backend.delete_volume(replaced.volume_id)
        original_add_block_device(self, size, device_path, *args, **kwargs)

    Instance.add_block_device = add_block_device  # type: ignore[method-assign]
