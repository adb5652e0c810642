"""Strict structured outputs for providers that offer them (OpenAI, Azure OpenAI).

With ``"strict": true`` the provider decodes to the schema, so a hosted answer has the draft's
shape by construction. Strict mode accepts a subset of JSON Schema (OpenAI's structured outputs
guide, "Supported schemas"): every object lists all its properties in ``required`` and sets
``additionalProperties: false``; the root is an object; ``$ref`` takes no sibling keywords;
``allOf``/``oneOf`` and ``default`` are not accepted; nor are ``minLength``/``maxLength``,
``patternProperties``, ``unevaluatedProperties``, ``propertyNames``, ``minProperties``,
``maxProperties``, ``unevaluatedItems``, ``contains``, ``minContains``, ``maxContains`` and
``uniqueItems``. Limits the draft is far from: 5,000 properties, 10 levels of nesting.

A removed length limit is written into the field's description instead, so the model still
reads it, and the response model's validators still enforce it (a re-ask if it is broken).
"""

from __future__ import annotations

import copy
from typing import Any

UNSUPPORTED = (
    "minLength",
    "maxLength",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
)
_DROPPED = ("title", "default", "$schema", "discriminator")


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` that strict mode accepts (the input is left as it is)."""
    out: dict[str, Any] = _node(copy.deepcopy(schema))
    if out.get("type") != "object":
        raise ValueError("strict structured outputs need an object at the root of the schema")
    return out


def _node(node: Any) -> Any:
    if isinstance(node, list):
        return [_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    for key in _DROPPED:
        node.pop(key, None)
    notes = []
    if "maxLength" in node:
        notes.append(f"at most {node['maxLength']} characters")
    elif node.get("minLength", 0) > 1:
        notes.append(f"at least {node['minLength']} characters")
    for key in UNSUPPORTED:
        node.pop(key, None)
    if notes:
        description = node.get("description")
        node["description"] = f"{description} ({notes[0]})" if description else notes[0].capitalize()
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    if "allOf" in node:
        parts = node.pop("allOf")
        if len(parts) != 1:
            raise ValueError("strict structured outputs do not accept allOf")
        node = {**parts[0], **node}
    if "$ref" in node and len(node) > 1:
        node = {**{k: v for k, v in node.items() if k != "$ref"}, "anyOf": [{"$ref": node["$ref"]}]}
    for key in ("properties", "$defs"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _node(child) for name, child in node[key].items()}
    for key in ("items", "anyOf", "prefixItems"):
        if key in node:
            node[key] = _node(node[key])
    if node.get("type") == "object":
        node.setdefault("properties", {})
        node["required"] = list(node["properties"])
        node["additionalProperties"] = False
    return node


def strict_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its response format (or forced tool) made strict."""
    fmt = request.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt["json_schema"]
        return {
            **request,
            "response_format": {
                "type": "json_schema",
                "json_schema": {**spec, "schema": strict_schema(spec["schema"]), "strict": True},
            },
        }
    tools = request.get("tools")
    if isinstance(tools, list):
        strict_tools = []
        for tool in tools:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("parameters"), dict):
                function = {**function, "parameters": strict_schema(function["parameters"]), "strict": True}
                tool = {**tool, "function": function}
            strict_tools.append(tool)
        return {**request, "tools": strict_tools}
    return request
