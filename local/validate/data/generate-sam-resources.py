"""Regenerates sam-resources.json from the AWS SAM translator and cfn-lint installed with pip.

    python3 local/validate/data/generate-sam-resources.py

Writes facts only: the property names each AWS::Serverless resource type accepts (and which
ones SAM requires), which properties SAM requires in its nested types (by model name), the
properties each Globals section accepts, and the Lambda runtime identifiers cfn-lint knows. The validator reads the JSON; nothing here runs in npm test.
"""
import importlib
import json
import pathlib
import pkgutil

import cfnlint
from cfnlint.version import __version__ as CFN_LINT_VERSION
import samtranslator
from samtranslator.model import sam_resources
from samtranslator.plugins.globals.globals import Globals
import samtranslator.internal.schema_source as schema_source

try:
    from pydantic import v1 as pydantic_v1

    BaseModel = pydantic_v1.BaseModel
except ImportError:  # pydantic 1
    from pydantic import BaseModel

SITE = pathlib.Path(cfnlint.__file__).parent
RUNTIME_PATCH = SITE / "data/schemas/patches/extensions/all/aws_lambda_function/smithy.json"


def sam_resource_types():
    for name in dir(sam_resources):
        candidate = getattr(sam_resources, name)
        resource_type = getattr(candidate, "resource_type", None)
        if isinstance(resource_type, str) and resource_type.startswith("AWS::Serverless::"):
            if getattr(candidate, "property_types", None):
                yield resource_type, candidate


def nested_type_requirements():
    """Model name -> the properties SAM requires, for the nested types of the SAM schema models.

    Names that two models share with different requirements are left out (ambiguous)."""
    seen = {}
    for module in pkgutil.iter_modules(schema_source.__path__):
        loaded = importlib.import_module(f"{schema_source.__name__}.{module.name}")
        for name, candidate in vars(loaded).items():
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and candidate is not BaseModel:
                required = tuple(sorted(field.alias for field in candidate.__fields__.values() if field.required))
                seen.setdefault(name, set()).add(required)
    return {name: list(next(iter(options))) for name, options in sorted(seen.items()) if len(options) == 1}


def main():
    resources = {}
    for resource_type, cls in sorted(sam_resource_types()):
        props = cls.property_types
        resources[resource_type] = {
            "properties": sorted(key for key in props if not key.startswith("__")),
            "required": sorted(key for key, value in props.items() if getattr(value, "required", False)),
        }
    runtimes = []
    for operation in json.loads(RUNTIME_PATCH.read_text()):
        if operation.get("path") == "/properties/Runtime/enum":
            runtimes = sorted(operation["value"])
    output = {
        "source": (
            f"aws-sam-translator {samtranslator.__version__} (samtranslator.model.sam_resources property_types,"
            f" samtranslator.plugins.globals.globals Globals.supported_properties) and cfn-lint"
            f" {CFN_LINT_VERSION} (Lambda Runtime enum); names only"
        ),
        "generator": "local/validate/data/generate-sam-resources.py",
        "resources": resources,
        "globals": {key: sorted(value) for key, value in sorted(Globals.supported_properties.items())},
        "nestedTypeRequired": nested_type_requirements(),
        "lambdaRuntimes": runtimes,
    }
    target = pathlib.Path(__file__).with_name("sam-resources.json")
    target.write_text(json.dumps(output, indent=2) + "\n")
    print(f"{len(resources)} SAM resource types, {len(runtimes)} runtimes written to {target.name}")


main()
