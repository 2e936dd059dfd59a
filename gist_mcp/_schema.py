"""Lean JSON Schemas for tools/list: the pydantic schema without the noise models pay for.

What goes: generated `title`s, `examples`, `$defs`/`$ref` (inlined where used), model docstrings on
nested objects, `default: null`, `additionalProperties: true` (JSON Schema's default), and in input
schemas the `null` branch of optional arguments (an omitted argument is the way to say "not given").
What stays: every type, constraint, enum and argument description. Output schemas keep the `null`
branches of fields that are always present (results do contain nulls).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DROP = frozenset({"title", "examples"})


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The advertised inputSchema of a tool whose arguments `model` validates."""
    schema = model.model_json_schema(mode="validation")
    return _lean(schema, schema.pop("$defs", {}), nullable=False, root=True)


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The advertised outputSchema of a tool returning `model`."""
    schema = model.model_json_schema(mode="serialization")
    return _lean(schema, schema.pop("$defs", {}), nullable=True, root=True)


def _lean(node: Any, defs: dict[str, Any], *, nullable: bool, root: bool = False) -> Any:
    if isinstance(node, list):
        return [_lean(item, defs, nullable=nullable) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        # The field's own description wins over the referenced model's docstring.
        merged = {k: v for k, v in target.items() if k != "description"} | {
            k: v for k, v in node.items() if k != "$ref"
        }
        return _lean(merged, defs, nullable=nullable)
    if nullable and "properties" in node:
        node = _drop_omitted_nulls(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or (key == "default" and value is None) or (key == "additionalProperties" and value is True):
            continue
        if key == "description" and root:
            continue
        if key == "properties":
            out[key] = {name: _lean(sub, defs, nullable=nullable) for name, sub in value.items()}
        elif key == "anyOf" and not nullable:
            variants = [_lean(v, defs, nullable=nullable) for v in value if v != {"type": "null"}]
            if len(variants) == 1:
                out.update(variants[0])
            else:
                out[key] = variants
        else:
            out[key] = _lean(value, defs, nullable=nullable)
    return out


def _drop_omitted_nulls(node: dict[str, Any]) -> dict[str, Any]:
    """Optional result fields are left out rather than sent as null, so their schema needs no null branch."""
    required = set(node.get("required", ()))
    properties = {}
    for name, sub in node["properties"].items():
        branches = sub.get("anyOf") if isinstance(sub, dict) else None
        if name not in required and branches and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            sub = {k: v for k, v in sub.items() if k != "anyOf"} | (rest[0] if len(rest) == 1 else {"anyOf": rest})
        properties[name] = sub
    return node | {"properties": properties}
