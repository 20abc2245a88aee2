#!/usr/bin/env python3
"""Slims the OpenAPI v3 documents of one Kubernetes release to what object validation needs.

Reads api/openapi-spec/v3/*.json straight from a k8s.io/kubernetes module zip (the Go module
proxy's, via `go mod download`), unions components.schemas of every group-version document, and
keeps only: type, format, properties, additionalProperties, items, required, enum, allOf/$ref,
nullable, default (zero-value markers), and the x-kubernetes-* extensions validation reads (int-or-string,
preserve-unknown-fields, embedded-resource, list-type, list-map-keys, group-version-kind).
Descriptions, defaults and examples go. Output: deterministic gzip (mtime 0) of compact JSON
{"version": "v1.N.P", "schemas": {name: schema}}.

usage: openapi-slim.py MODULE.zip VERSION OUT.json.gz
"""
import gzip
import io
import json
import sys
import zipfile

KEEP = {
    "type", "format", "properties", "additionalProperties", "items", "required", "enum",
    "allOf", "oneOf", "anyOf", "$ref", "nullable",
    "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    "x-kubernetes-group-version-kind", "x-kubernetes-map-type", "default",
}
PREFIX = "#/components/schemas/"


def slim(node):
    if isinstance(node, list):
        return [slim(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key not in KEEP:
            continue
        if key == "properties":
            out[key] = {name: slim(v) for name, v in value.items()}
        elif key == "$ref":
            out[key] = value[len(PREFIX):] if value.startswith(PREFIX) else value
        elif key in ("x-kubernetes-group-version-kind", "enum"):
            out[key] = value  # data, not schemas
        elif key == "default":
            # Built-in `default`s are the Go zero values of non-pointer fields: such a field,
            # even when `required`, decodes to its zero value and is left to validation.
            out[key] = value
        elif key == "x-kubernetes-map-type":
            continue  # not needed for validation
        else:
            out[key] = slim(value)
    # {"allOf": [{"$ref": X}]} (how v3 attaches defaults to references) is just {"$ref": X}
    if (set(out) <= {"allOf", "default"} and "allOf" in out and len(out["allOf"]) == 1
            and list(out["allOf"][0]) == ["$ref"]):
        ref = dict(out["allOf"][0])
        if "default" in out:
            ref["default"] = out["default"]
        return ref
    return out


def main():
    zip_path, version, out_path = sys.argv[1:4]
    prefix = f"k8s.io/kubernetes@{version}/api/openapi-spec/v3/"
    schemas = {}
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json"))
        if not names:
            sys.exit(f"openapi-slim.py: no {prefix}*.json in {zip_path}")
        for name in names:
            doc = json.loads(z.read(name))
            for key, schema in doc.get("components", {}).get("schemas", {}).items():
                schemas.setdefault(key, slim(schema))
    body = json.dumps({"version": version, "schemas": dict(sorted(schemas.items()))},
                      separators=(",", ":"), sort_keys=False).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(body)
    with open(out_path, "wb") as f:
        f.write(buf.getvalue())
    print(f"{version}: {len(schemas)} schemas, {len(body)} bytes JSON, {len(buf.getvalue())} bytes gzip",
          file=sys.stderr)


if __name__ == "__main__":
    main()
