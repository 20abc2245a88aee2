#!/usr/bin/env python3
"""Write a synthetic cluster and release for preflight at scale (see scripts/bench-preflight.sh).

usage: synth-cluster.py NODES OUT_DIR

OUT_DIR/cluster-NODES.json: `kubectl get nodes,pods -A -o json` output with NODES copies of the
bundled gpu-lab snapshot's first CPU worker (64 cores, 256Gi, zones a/b/c) and 30 pods per node
copied from its running CPU pods (realistic size: ~8 KB each). OUT_DIR/release.yaml: a
Deployment of 300 replicas (1 cpu, 2Gi) with zone spread and hostname anti-affinity: the same
cluster and release as benches/preflight.rs.
"""
import json
import os
import sys

PODS_PER_NODE = 30
HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    nodes, out = int(sys.argv[1]), sys.argv[2]
    with open(os.path.join(HERE, "..", "tests", "fixtures", "clusters", "gpu-lab.json")) as f:
        lab = json.load(f)
    items = lab["items"]
    templates = [
        i for i in items
        if i["kind"] == "Pod" and i.get("status", {}).get("phase") == "Running"
        and "nvidia" not in json.dumps(i["spec"].get("tolerations", []))
    ]
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"cluster-{nodes}.json")
    with open(path, "w") as f:
        f.write('{"apiVersion":"v1","kind":"List","items":[')
        first = True
        for n in range(nodes):
            node = json.loads(json.dumps(items[0]))
            name = f"worker-{n:05}"
            node["metadata"]["name"] = name
            node["metadata"]["labels"]["kubernetes.io/hostname"] = name
            node["metadata"]["labels"]["topology.kubernetes.io/zone"] = "abc"[n % 3]
            node["status"]["allocatable"]["cpu"] = "64"
            node["status"]["allocatable"]["memory"] = "256Gi"
            f.write(("" if first else ",") + json.dumps(node))
            first = False
        for i in range(nodes * PODS_PER_NODE):
            p = templates[i % len(templates)]
            p["metadata"]["name"] = f"pod-{i:07}"
            p["metadata"]["namespace"] = f"team-{i % 500:03}"
            p["spec"]["nodeName"] = f"worker-{i % nodes:05}"
            f.write("," + json.dumps(p))
        f.write("]}\n")
    with open(os.path.join(out, "release.yaml"), "w") as f:
        f.write("""apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: release}
spec:
  replicas: 300
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
      containers:
      - name: web
        image: nginx:1.27.3
        resources: {requests: {cpu: '1', memory: 2Gi}, limits: {memory: 2Gi}}
""")
    print(path)


if __name__ == "__main__":
    main()
