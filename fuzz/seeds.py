#!/usr/bin/env python3
"""Regenerate the seed corpora in fuzz/corpus/ from the repository's own values files.

yaml_parse and schema_roundtrip take the text as it is. values_merge takes an `Input` decoded
with `arbitrary` (fuzz_targets/values_merge.rs), so its seeds are encoded the way arbitrary 1.x
decodes: `Vec` items behind a continue byte, an enum as a little-endian u32, a non-last `&str`
with its length taken from the end of the data, the last field the rest.
Check a seed with `cargo +nightly fuzz fmt values_merge corpus/values_merge/<seed>`.
"""
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"

YAML_SEEDS = [
    "tests/fixtures/cli/bad-input/alias-bomb.yaml",
    "tests/fixtures/cli/bad-input/duplicate-keys.yaml",
    "tests/fixtures/cli/bad-input/invalid.yaml",
    "tests/fixtures/cli/bad-input/malformed.yaml",
    "tests/fixtures/cli/bad-input/not-a-map.yaml",
    "tests/fixtures/cli/positions/values.yaml",
    "tests/fixtures/parity-chart/values.yaml",
    "tests/fixtures/public-charts/vllm-stack/ci/values-10-disagg-prefill.yaml",
    "tests/fixtures/public-charts/vllm-stack/ci/values-06-session-routing.yaml",
    "charts/llm-stack/values-gpu.yaml",
    "charts/llm-stack/values-dev.yaml",
    "charts/llm-stack/values-aiops-prod.yaml",
    "charts/llm-stack/charts/redis/values.yaml",
    "charts/llm-stack/charts/postgresql/values.yaml",
    "tests/fixtures/public-charts/vllm-stack/charts/prometheus-adapter/values.yaml",
    "tests/fixtures/public-charts/vllm-stack/charts/kube-prometheus-stack/charts/prometheus-windows-exporter/values.yaml",
]

SCHEMA_SEEDS = [
    "tests/fixtures/cli/positions/values.yaml",
    "tests/fixtures/parity-chart/values.yaml",
    "tests/fixtures/parity-chart/charts/cache/values.yaml",
    "charts/llm-stack/values.yaml",
    "charts/llm-stack/charts/vllm/values.yaml",
    "charts/llm-stack/charts/redis/values.yaml",
    "charts/llm-stack/charts/qdrant/values.yaml",
    "charts/llm-stack/charts/litellm/values.yaml",
    "charts/llm-stack/charts/apps/values.yaml",
    "tests/fixtures/public-charts/vllm-stack/charts/kube-prometheus-stack/charts/kube-state-metrics/values.yaml",
    "tests/fixtures/public-charts/postgresql/charts/common/values.yaml",
]

# Hand-written corners of the YAML 1.1 / go-yaml v2 rules and of the span corrections.
HANDWRITTEN = {
    "anchors-merge.yaml": "base: &base {a: 1, b: [x, y]}\nother:\n  <<: [*base, {c: 3}]\n  b: ~\nlist: &l\n- &i one\n- *i\ncopy: *l\n",
    "scalars-yaml11.yaml": "a: yes\nb: off\nc: 0777\nd: 0x1F\ne: 1_000\nf: .5\ng: -.inf\nh: 2001-12-14\ni: !!str 12\nj: ! plain\nk: !!binary aGk=\non: 1\n? complex\n: value\n\"q\": 'it''s'\n",
    "block-scalars.yaml": "a: |\n  one\n   two\nb: >-  # folded\n\n  x\nc: |+\n\nd: &t |2\n   y\ne:\n- |\n  z\n",
    "bom-crlf.yaml": "\ufeffa: 1\r\nb:\r\n  c: \"x\r\n  y\"\r\n  d: 'é'\r\n",
    "flow-tags-comments.yaml": "# top\nk: {a: [1, {b: c}], 'd': \"\\u00e9\\t\"}  # trailing\n%TAG ! tag:example.com,2000:\n---\nx: !local &a [*a]\n...\n--- second\n",
}


def read(rel):
    return (ROOT / rel).read_bytes()


def encode_merge_input(sets, defaults, overlay, values):
    """`Input { sets: Vec<SetArg { flag, arg }>, defaults, overlay: Option, values }`."""
    flags = ["set", "set-string", "set-json", "set-file", "set-literal"]
    # Operations in decoding order: ("front", bytes) or ("str", bytes).
    ops = []
    for flag, arg in sets:
        k = flags.index(flag)
        ops.append(("front", b"\x01" + struct.pack("<I", k * (2**32 // 5) + 1)))
        ops.append(("str", arg))
    ops.append(("front", b"\x00"))
    ops.append(("str", defaults))
    if overlay is None:
        ops.append(("front", b"\x00"))
    else:
        ops.append(("front", b"\x01"))
        ops.append(("str", overlay))
    ops.append(("front", values))
    payload = sum(len(b) for _, b in ops)
    n_strs = sum(1 for kind, _ in ops if kind == "str")
    widths = [1] * n_strs
    while True:  # length widths depend on the total, which depends on the widths
        total = payload + sum(widths)
        remaining, i, new = total, 0, []
        for kind, b in ops:
            if kind == "str":
                w = 1 if remaining <= 256 else 2 if remaining <= 65537 else 4
                new.append(w)
                remaining -= w + len(b)
                i += 1
            else:
                remaining -= len(b)
        if new == widths:
            break
        widths = new
    front, back, remaining, i = b"", [], payload + sum(widths), 0
    for kind, b in ops:
        if kind == "str":
            w = widths[i]
            delta = remaining - w
            assert len(b) <= delta
            used = 1
            while used < w and delta >> (8 * used) > 0:
                used += 1
            chunk = len(b).to_bytes(used, "big") + b"\x00" * (w - used)
            back.append(chunk)
            remaining -= w + len(b)
            i += 1
        else:
            remaining -= len(b)
        front += b
    return front + b"".join(reversed(back))


MERGE_SEEDS = {
    "plain.bin": ([], read("charts/llm-stack/values.yaml"), None, read("charts/llm-stack/values-dev.yaml")),
    "overlay.bin": (
        [("set", b"replicaCount=3,image.tag=v1")],
        read("tests/fixtures/parity-chart/values.yaml"),
        read("charts/llm-stack/values-staging.yaml"),
        read("charts/llm-stack/values-prod.yaml"),
    ),
    "sets.bin": (
        [
            ("set", b"a.b[0].c=1,list={x,y},esc=a\\,b,n=null,z=0123"),
            ("set-string", b"s=true,t[2]=x"),
            ("set-json", b'j={"k":[1,2.5,{"m":null}]},k2=[true]'),
            ("set-literal", b"lit=a,b={c}"),
        ],
        read("tests/fixtures/cli/positions/values.yaml"),
        None,
        b"a:\n  b:\n  - c: 0\n    d: e\nlist: [1]\n",
    ),
    "set-file.bin": (
        [("set-file", b"config.text=line one\nline two\n"), ("set", b"config=null")],
        b"config:\n  text: ''\n",
        b"extra: &x {a: 1}\nmore: *x\n",
        b"config: {}\n",
    ),
    "errors.bin": (
        [("set", b"a[70000]=1"), ("set-json", b"j={bad"), ("set", b"noval")],
        b"- not a map\n",
        b"k: v\nk: w\n",
        read("tests/fixtures/cli/bad-input/malformed.yaml"),
    ),
    "null-deletes.bin": (
        [("set", b"global.x=1,sub.enabled=false")],
        read("charts/llm-stack/charts/llm-stack-common/values.yaml"),
        b"global: {y: 2}\n",
        b"image: null\nresources: {limits: {cpu: 1}}\n",
    ),
}


# Manifest streams for manifests_report (and the releases of snapshot_preflight).
MANIFEST_SEEDS = [
    "tests/fixtures/totals/bad-input.yaml",
    "tests/fixtures/totals/llm-stack.yaml",
    "tests/fixtures/totals/namespaces.yaml",
    "tests/fixtures/totals/pod-resources.yaml",
    "tests/fixtures/totals/quantities.yaml",
    "tests/fixtures/totals/replicas.yaml",
    "tests/fixtures/totals/transient.yaml",
    "tests/fixtures/preflight/gpu-lab-release.yaml",
    "tests/fixtures/preflight/gpu-memory-and-storage.yaml",
]


def node(name, cpu, memory, pods="110", labels=None, taints=None, extra=None, unschedulable=False):
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods, **(extra or {})}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": allocatable, "capacity": allocatable,
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(name, node_name, cpu, memory):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"nodeName": node_name, "containers": [
            {"name": "c", "resources": {"requests": {"cpu": cpu, "memory": memory}}}]},
        "status": {"phase": "Running"},
    }


# Small clusters for snapshot_preflight: kubectl `List` JSON, with a GPU node (tainted), a
# cordoned node, a LimitRange and a quota in the release namespace.
SMALL_CLUSTER = {
    "apiVersion": "v1", "kind": "List",
    "items": [
        node("cpu-1", "4", "16Gi"),
        node("cpu-2", "3500m", "15Gi", pods="20", labels={"topology.kubernetes.io/zone": "b"}),
        node("gpu-1", "32", "256Gi", labels={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB",
                                              "nvidia.com/gpu.memory": "81920"},
             taints=[{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
             extra={"nvidia.com/gpu": "2"}),
        node("old-1", "2", "8Gi", unschedulable=True),
        pod("busy", "cpu-1", "3", "8Gi"),
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": "fuzz"},
         "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "250m", "memory": "256Mi"},
                              "max": {"memory": "64Gi"}}]}},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "fuzz"},
         "spec": {"hard": {"requests.cpu": "20", "pods": "50"}}},
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
         "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
         "provisioner": "example.com/disk"},
    ],
}


def main():
    import json
    for d in ("manifests_report", "snapshot_preflight"):
        (CORPUS / d).mkdir(parents=True, exist_ok=True)
        for f in (CORPUS / d).iterdir():
            f.unlink()
    small = json.dumps(SMALL_CLUSTER, indent=1).encode()
    (CORPUS / "snapshot_preflight" / "small-default-release.json").write_bytes(small)
    (CORPUS / "snapshot_preflight" / "malformed-objects.json").write_bytes(
        read("tests/fixtures/clusters/malformed-objects.json"))
    for rel in MANIFEST_SEEDS:
        name = rel.replace("/", "__")
        (CORPUS / "manifests_report" / name).write_bytes(read(rel))
        (CORPUS / "snapshot_preflight" / name).write_bytes(small + b"\n#### manifests\n" + read(rel))
    for d in ("yaml_parse", "values_merge", "schema_roundtrip"):
        (CORPUS / d).mkdir(parents=True, exist_ok=True)
        for f in (CORPUS / d).iterdir():
            f.unlink()
    for rel in YAML_SEEDS:
        (CORPUS / "yaml_parse" / rel.replace("/", "__")).write_bytes(read(rel))
    for name, text in HANDWRITTEN.items():
        (CORPUS / "yaml_parse" / name).write_bytes(text.encode())
        (CORPUS / "schema_roundtrip" / name).write_bytes(text.encode())
    for rel in SCHEMA_SEEDS:
        (CORPUS / "schema_roundtrip" / rel.replace("/", "__")).write_bytes(read(rel))
    for name, args in MERGE_SEEDS.items():
        (CORPUS / "values_merge" / name).write_bytes(encode_merge_input(*args))


if __name__ == "__main__":
    main()
