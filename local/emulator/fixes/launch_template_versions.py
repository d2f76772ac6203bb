"""EC2 launch templates: every version keeps UserData as sent; DeleteLaunchTemplateVersions works.

AWS stores a launch template version's ``UserData`` as the base64 text it was given, for the first version
and every later one (EC2 API Reference, ``RequestLaunchTemplateData.UserData``: "must be base64-encoded").
Stock moto decodes it only for the first version, so an Auto Scaling group launching from version 2+ fails
with a 500. ``DeleteLaunchTemplateVersions`` (EC2 API Reference) deletes numbered versions except the default
one and reports per-version success or failure; stock moto does not implement it. Version numbers are never
reused: after deleting version 3 the next version is still 4, as on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import parse_user_data


def _find(template: LaunchTemplate, number: int) -> LaunchTemplateVersion | None:
    return next((v for v in template.versions if v.number == number), None)


def create_version(self: LaunchTemplate, data: dict[str, Any], description: str) -> LaunchTemplateVersion:
    if isinstance(data.get("UserData"), (str, bytes)):
        data["UserData"] = parse_user_data(data["UserData"])
    number = max((v.number for v in self.versions), default=0) + 1
    version = LaunchTemplateVersion(self, number, data, description)
    self.versions.append(version)
    return version


def get_version(self: LaunchTemplate, num: Any) -> LaunchTemplateVersion:
    text = str(num).lower()
    if text == "$latest":
        return self.versions[-1]
    if text == "$default":
        return self.default_version()
    try:
        found = _find(self, int(num))
    except ValueError:
        found = None
    if found is None:
        raise InvalidLaunchTemplateVersionNotFound(template_id=self.id, version=num)
    return found


def default_version(self: LaunchTemplate) -> LaunchTemplateVersion:
    found = _find(self, self.default_version_number)
    assert found is not None
    return found


def delete_launch_template_versions(self: LaunchTemplates) -> ActionResult:
    name = self._get_param("LaunchTemplateName")
    template_id = self._get_param("LaunchTemplateId")
    numbers = [str(v) for v in self._get_param("Versions", [])]
    self.error_on_dryrun()
    if template_id:
        template = self.ec2_backend.get_launch_template(template_id)
    else:
        template = self.ec2_backend.get_launch_template_by_name(name)
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    ident = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name}
    for text in numbers:
        number = int(text) if text.isdigit() else 0
        version = _find(template, number)
        if version is None:
            code, message = "launchTemplateVersionDoesNotExist", "The specified launch template version does not exist."
        elif template.is_default(version):
            code, message = (
                "unexpectedError",  # the documented error-code enum has no specific one
                "The default version of a launch template cannot be deleted.",
            )
        else:
            template.versions.remove(version)
            done.append({**ident, "VersionNumber": number})
            continue
        failed.append({**ident, "VersionNumber": number, "ResponseError": {"Code": code, "Message": message}})
    return ActionResult(
        {
            "SuccessfullyDeletedLaunchTemplateVersions": done,
            "UnsuccessfullyDeletedLaunchTemplateVersions": failed,
        }
    )


def apply() -> None:
    LaunchTemplate.create_version = create_version  # type: ignore[method-assign]
    LaunchTemplate.get_version = get_version  # type: ignore[method-assign]
    LaunchTemplate.default_version = default_version  # type: ignore[method-assign]
    LaunchTemplates.delete_launch_template_versions = delete_launch_template_versions  # type: ignore[attr-defined]
