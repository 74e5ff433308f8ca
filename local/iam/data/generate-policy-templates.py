#!/usr/bin/env python3
"""Writes local/iam/data/sam-policy-templates.json: the SAM policy templates this project uses,
copied verbatim from the installed aws-sam-translator's policy_templates.json.

Run from the repository root:  python3 local/iam/data/generate-policy-templates.py
A template is kept when a templates/*.yaml names it (as `<Name>:`) or it is in ALWAYS.
"""
import json
import os
import re
import sys

import samtranslator

# Templates the project is expected to reach for next, kept even while no template names them.
ALWAYS = [
    "S3ReadPolicy", "S3CrudPolicy", "DynamoDBCrudPolicy", "DynamoDBReadPolicy", "LambdaInvokePolicy",
    "EventBridgePutEventsPolicy", "RekognitionDetectOnlyPolicy", "SESCrudPolicy",
    "SNSPublishMessagePolicy", "StepFunctionsExecutionPolicy", "AWSSecretsManagerGetSecretValuePolicy",
    "SSMParameterReadPolicy",
]

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
source = os.path.join(os.path.dirname(samtranslator.__file__), "policy_templates_data", "policy_templates.json")
with open(source, encoding="utf-8") as handle:
    templates = json.load(handle)["Templates"]

text = ""
templates_dir = os.path.join(root, "templates")
for name in sorted(os.listdir(templates_dir)):
    if name.endswith(".yaml"):
        with open(os.path.join(templates_dir, name), encoding="utf-8") as handle:
            text += handle.read()
named = {name for name in templates if re.search(r"\b" + re.escape(name) + r"\s*:", text)}
missing = [name for name in ALWAYS if name not in templates]
if missing:
    sys.exit(f"not in aws-sam-translator {samtranslator.__version__}: {', '.join(missing)}")

kept = sorted(named | set(ALWAYS))
output = {
    "source": f"aws-sam-translator {samtranslator.__version__}, samtranslator/policy_templates_data/policy_templates.json",
    "generatedBy": "local/iam/data/generate-policy-templates.py",
    "templates": {name: templates[name] for name in kept},
}
target = os.path.join(root, "local", "iam", "data", "sam-policy-templates.json")
with open(target, "w", encoding="utf-8") as handle:
    json.dump(output, handle, indent=2, sort_keys=True)
    handle.write("\n")
print(f"wrote {len(kept)} templates to {os.path.relpath(target, root)}")
