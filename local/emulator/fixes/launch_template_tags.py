"""EC2 launch templates: a template's tags are its own, current ones.

``CreateLaunchTemplate`` takes ``TagSpecifications`` of resource type ``launch-template`` to tag the template
itself (EC2 API Reference, ``CreateLaunchTemplate``: "The tags to apply to the launch template on creation");
the version's ``LaunchTemplateData.TagSpecifications`` only ever holds tags for what the template launches
(``instance``, ``volume``, ``network-interface``, ``spot-instances-request``;
``LaunchTemplateTagSpecificationRequest``).
Stock moto also copies the template's tags into version 1's data, so ``amazon.aws.ec2_launch_template`` sees
version 1 differ from its parameters and adds a version on the next run.

DescribeLaunchTemplates returns the template's current tags, including those added or changed later with
CreateTags / DeleteTags (EC2 API Reference, ``LaunchTemplate.Tags``). Stock moto returns a copy taken at
creation, so a tag updated later (the project's ``AppVersion``) never shows.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateBackend


def apply() -> None:
    original = LaunchTemplateBackend.create_launch_template

    def create_launch_template(
        self: LaunchTemplateBackend,
        name: str,
        description: str,
        template_data: dict[str, Any],
        tag_spec: dict[str, Any],
    ) -> LaunchTemplate:
        specs = template_data.get("TagSpecifications")
        if specs is not None:
            kept = [s for s in specs if s.get("ResourceType") != "launch-template"]
            if kept:
                template_data["TagSpecifications"] = kept
            else:
                del template_data["TagSpecifications"]
        return original(self, name, description, template_data, tag_spec)

    LaunchTemplateBackend.create_launch_template = create_launch_template  # type: ignore[method-assign]

    def current_tags(self: LaunchTemplate) -> list[dict[str, Any]]:
        return self.get_tags()

    def ignore_snapshot(self: LaunchTemplate, value: Any) -> None:
        """moto's constructor assigns a snapshot; the property always reads the tag store instead."""

    LaunchTemplate.tags = property(current_tags, ignore_snapshot)  # type: ignore[assignment,method-assign]
