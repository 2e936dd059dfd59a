"""Lean, portable JSON Schemas for tools/list: the pydantic schema without the noise models pay for.

Everywhere: generated `title`s, `examples`, `$defs`/`$ref` (inlined where used), model docstrings on
nested objects, `default: null` and `additionalProperties: true` (JSON Schema's default) go; every
type, enum and argument description stays.

Input schemas are written for the strictest function-calling dialects as well as for plain JSON Schema:
- every optional argument is nullable (`anyOf: [X, {"type": "null"}]`), so OpenAI strict mode, which
  makes every property required, can send `null` for "not given" (the server treats `null` as absent:
  see `Input` in `catalog/_shapes.py`);
- no `additionalProperties` (Gemini rejects the keyword; the server still refuses unknown arguments with
  an error listing the allowed ones), no `minProperties`/`maxProperties`/`oneOf`, no `const` (one-value
  `enum` instead);
- a free-form object (custom properties, an event's properties, api_request's body) is `{"type": "object"}`
  with a description that says what goes in it: the one shape both OpenAI strict mode and Gemini accept.

Output schemas are typed but small: hosts validate structuredContent against them, and some agent
frameworks forward them to the model (pydantic-ai sends them to Gemini), so each byte costs. They type
the fields a result always carries with a value, one level deep: a nested object is
`{"type": "object"}`, a list's items are typed but not spelled out (a list tool's description names its
item fields). Fields that may be null (`email`, `next_cursor`) or are left out when Gist has no value
(`optional()` in `catalog/_shapes.py`) are not spelled out, and no `required` list repeats the names:
the schema forbids no property, so every result validates, it needs no `anyOf` (Gemini's dialect has
none; a `type` array is what Inspector's `--strict` lint flags as "type-union"), and the tools/list
budgets (CONTRACT.md) hold.
"""

from __future__ import annotations

from pydantic import BaseModel

from gist_mcp._json import JSON, JSONObject, as_array, as_object

_DROP = frozenset({"title", "examples", "additionalProperties", "minProperties", "maxProperties"})
_NULL: JSONObject = {"type": "null"}


def input_schema(model: type[BaseModel]) -> JSONObject:
    """The advertised inputSchema of a tool whose arguments `model` validates."""
    schema: JSONObject = model.model_json_schema(mode="validation")
    defs = as_object(schema.pop("$defs", {})) or {}
    schema.pop("description", None)
    return _input_object(schema, defs)


def output_schema(model: type[BaseModel]) -> JSONObject:
    """The advertised outputSchema of a tool returning `model`: the fields that always hold a value."""
    schema: JSONObject = model.model_json_schema(mode="serialization")
    defs = as_object(schema.pop("$defs", {})) or {}
    properties = as_object(schema["properties"]) or {}
    required = as_array(schema.get("required")) or []
    fields = {name: _inline(_object(properties[name]), defs) for name in required if isinstance(name, str)}
    return {
        "type": "object",
        "properties": {name: _shallow(node) for name, node in fields.items() if "anyOf" not in node},
    }


def _object(node: JSON) -> JSONObject:
    """A schema node that JSON Schema requires to be an object (pydantic never writes anything else there)."""
    return as_object(node) or {}


def _inline(node: JSONObject, defs: JSONObject) -> JSONObject:
    """`node` with a top-level `$ref` replaced by its target; the field's own description wins."""
    if "$ref" not in node:
        return node
    target = _object(defs[str(node["$ref"]).rsplit("/", 1)[-1]])
    merged = {k: v for k, v in target.items() if k != "description"} | {k: v for k, v in node.items() if k != "$ref"}
    return _inline(merged, defs)


def _input(node: JSON, defs: JSONObject) -> JSON:
    """An input schema node made lean and portable (see the module docstring), recursively."""
    if isinstance(node, list):
        return [_input(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    return _input_object(node, defs)


def _input_object(node: JSONObject, defs: JSONObject) -> JSONObject:
    """`_input` of an object node."""
    node = _inline(node, defs)
    if node.get("type") == "object" and "properties" not in node:
        return _free_form(node)
    out: JSONObject = {}
    for key, value in node.items():
        if key in _DROP or (key == "default" and value is None):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            required = set(as_array(node.get("required")) or ())
            out[key] = {
                name: _nullable(_input_object(_object(sub), defs), name not in required)
                for name, sub in _object(value).items()
            }
        else:
            out[key] = _input(value, defs)
    return out


def _free_form(node: JSONObject) -> JSONObject:
    """A property-less object: its type and description only (value types belong in the description)."""
    return {"type": "object", **({"description": node["description"]} if "description" in node else {})}


def _nullable(node: JSONObject, optional: bool) -> JSONObject:
    """An optional property accepts null (its description and default beside the branches); a required one does not."""
    branches = as_array(node.get("anyOf"))
    rest = [b for b in branches if b != _NULL] if branches else [node]
    if branches and len(rest) == len(branches) and not optional:
        return node
    outer = {k: v for k, v in node.items() if k in ("description", "default")}
    inner: list[JSONObject] = [{k: v for k, v in _object(b).items() if k not in outer} for b in rest]
    if not optional and len(inner) == 1:
        return inner[0] | outer
    union: JSONObject = {"anyOf": [*inner, _NULL] if optional else [*inner]}
    return union | outer


def _shallow(node: JSONObject) -> JSONObject:
    """One output value's schema: objects as `{"type": "object"}`, arrays with their items' type only."""
    kind = node.get("type")
    if kind == "object" or "properties" in node or "$ref" in node:
        return {"type": "object", **_keep(node, "description")}
    if kind == "array":
        items = _object(node.get("items", {}))
        scalar = items.get("type") in ("string", "integer", "number", "boolean")
        return {"type": "array", "items": {"type": items["type"] if scalar else "object"}, **_keep(node, "description")}
    return {k: v for k, v in node.items() if k not in _DROP and not (k == "default" and v is None)}


def _keep(node: JSONObject, *keys: str) -> JSONObject:
    return {k: node[k] for k in keys if k in node}
