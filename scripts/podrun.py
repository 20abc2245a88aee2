#!/usr/bin/env python3
"""podrun: run a rendered pod template's containers as local processes, the way the kubelet would.

    podrun.py up -f RENDERED.yaml --images IMAGES.yaml --work DIR KIND/NAME... [--then CMD...]

Takes `helm template` output (any chart) and workloads of it (Deployment, StatefulSet, DaemonSet,
Job, CronJob, Pod; replica 0 only), and for each:

* volumes: every configMap / secret / projected / downwardAPI volume is written to a scratch
  directory (items, defaultMode, base64 data); emptyDir is a fresh directory per pod start; a
  persistentVolumeClaim (named, or from volumeClaimTemplates as `TEMPLATE-POD`) is a directory
  under WORK/pvc/ that survives a pod's restart, as a claim does;
* env as the kubelet builds it: envFrom (configMapRef/secretRef, prefix), then env in order
  (value, valueFrom secretKeyRef / configMapKeyRef / fieldRef / resourceFieldRef, optional keys),
  `$(VAR)` expanded from the variables defined before it (`$$` escapes), HOSTNAME = pod name,
  service links (FOO_SERVICE_HOST/PORT) unless enableServiceLinks is false; `$(VAR)` in command and
  args expanded from the container's environment;
* init containers first, in order, each to exit 0; then the containers; an image's ENTRYPOINT/CMD
  from the image table when the container names no command/args (Kubernetes' rule);
* probes polled as the kubelet does: the startupProbe first (liveness and readiness wait for it),
  then readiness from initialDelaySeconds every periodSeconds, Ready after successThreshold
  consecutive successes; liveness alongside (failureThreshold consecutive failures are reported as
  the restart the kubelet would make). httpGet (path, port by number or name, scheme http),
  tcpSocket and exec (run inside the container's filesystem view with its environment; timeoutSeconds).

Paths. Every container runs in its own mount namespace (`unshare --mount`, as root or in a user
namespace) with a root directory built from the host's (`/` bound read-only when the container's
securityContext has readOnlyRootFilesystem, as in the pod), the image's own files from the image
table bound over it, and the volumes mounted at exactly their mountPath (subPath, readOnly): no path
in args, env or config files is rewritten, and a program finds its files where the pod has them.

Addresses and hostnames. Each pod gets a loopback address of its own, 127.0.0.N (N >= 2), as its
pod IP (status.podIP, probes, and PODRUN_POD_IP in its containers' environment: the one variable
podrun adds, for stand-ins that bind one address). Each container sees its own /etc/hosts naming
every Service of the manifests (NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local) with the
address of the pod it selects (127.0.0.1 until one runs), StatefulSet pods' POD.SERVICE names, and an
empty /etc/resolv.conf: /etc/hosts of the machine is never changed. A Service whose port differs
from its targetPort gets a forwarder podIP:port -> podIP:targetPort. Programs that listen on every
address share one port space: two pods on one port must bind their own address.
Run podrun in a network namespace of its own (`unshare --net`, loopback up; the tier does) so that
nothing but loopback exists and ports never meet another program's.

Images. IMAGES.yaml maps an image repository (registry and tag ignored) to the local program that
stands for it: `env` (the image's ENV; ${VAR} from podrun's environment), `workdir`, `entrypoint`,
`cmd`, and `rootfs`: a directory whose files are bound at the same paths in the container (the
image's own files, e.g. a stock config); `build`: a command that makes that directory once;
`binds`: container path -> host file or directory (${IMAGES_DIR}: the table's directory).

What it does not do: users and groups (processes run as podrun's user; runAsUser is ignored),
resource limits, more than one replica, image pulls, Services' load balancing.
"""
import argparse
import base64
import concurrent.futures
import ctypes
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


def log(msg):
    print(f"podrun: {msg}", file=sys.stderr, flush=True)


# ---- manifests -----------------------------------------------------------------------------------


class Manifests:
    def __init__(self, docs, namespace="default"):
        self.namespace = namespace
        self.docs = [d for d in docs if isinstance(d, dict) and d.get("kind")]
        self.by = {}
        for d in self.docs:
            self.by[(d["kind"], d["metadata"]["name"])] = d

    @classmethod
    def load(cls, paths, namespace="default"):
        docs = []
        for p in paths:
            with open(p) as f:
                docs.extend(yaml.safe_load_all(f))
        return cls(docs, namespace)

    def get(self, kind, name):
        return self.by.get((kind, name))

    def of_kind(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def secret_data(self, name):
        s = self.get("Secret", name)
        if s is None:
            return None
        out = {k: base64.b64decode(v) for k, v in (s.get("data") or {}).items()}
        for k, v in (s.get("stringData") or {}).items():
            out[k] = str(v).encode()
        return out

    def configmap_data(self, name):
        c = self.get("ConfigMap", name)
        if c is None:
            return None
        out = {k: str(v).encode() for k, v in (c.get("data") or {}).items()}
        for k, v in (c.get("binaryData") or {}).items():
            out[k] = base64.b64decode(v)
        return out

    SOURCES = (("configMap", "ConfigMap"), ("configMapRef", "ConfigMap"), ("configMapKeyRef", "ConfigMap"),
               ("secret", "Secret"), ("secretRef", "Secret"), ("secretKeyRef", "Secret"))

    def source_data(self, holder):
        """The ConfigMap or Secret a volume, a projected source, an envFrom or a valueFrom names:
        (its data or None when it is not in the manifests, the reference, "Kind name"), or None
        when holder names neither. holder: the dict with configMap/secret (volumes and projected
        sources), configMapRef/secretRef (envFrom) or configMapKeyRef/secretKeyRef (valueFrom)."""
        for field, kind in self.SOURCES:
            if field in holder:
                ref = holder[field]
                name = ref.get("name") or ref.get("secretName")
                data = self.configmap_data(name) if kind == "ConfigMap" else self.secret_data(name)
                return data, ref, f"{kind} {name}"
        return None

    def secret_values(self):
        """The values of Secret keys that name credentials (for redacting logs): passwords, keys,
        tokens, and URIs or URLs that may carry them; not hosts, ports, user or database names."""
        vals = set()
        for s in self.of_kind("Secret"):
            for k, v in (self.secret_data(s["metadata"]["name"]) or {}).items():
                if not re.search(r"pass|key|token|secret|salt|cert|uri|url|dsn|auth|cred", k, re.I):
                    continue
                try:
                    t = v.decode()
                except UnicodeDecodeError:
                    continue
                if len(t) >= 6:
                    vals.add(t)
        return vals

    def pod_template(self, kind, name):
        """(pod metadata, pod spec, claim templates, pod name) of a workload."""
        w = self.get(kind, name)
        if w is None:
            raise SystemExit(f"podrun: no {kind}/{name} in the manifests")
        spec = w.get("spec") or {}
        claims = []
        if kind == "Pod":
            return w.get("metadata") or {}, spec, claims, name
        if kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        tpl = spec["template"]
        if kind == "StatefulSet":
            claims = spec.get("volumeClaimTemplates") or []
            pod = f"{name}-0"
        elif kind == "Job" or kind == "CronJob":
            pod = f"{name}-podrun"
        else:
            pod = f"{name}-podrun-0"
        return tpl.get("metadata") or {}, tpl.get("spec") or {}, claims, pod

    def services(self):
        return self.of_kind("Service")

    def workload_services(self, kind, name):
        """Headless governing service of a StatefulSet (for POD.SERVICE hostnames)."""
        w = self.get(kind, name)
        if kind == "StatefulSet":
            return (w.get("spec") or {}).get("serviceName")
        return None


# ---- image table ---------------------------------------------------------------------------------


def expand_env(s, env=None):
    env = os.environ if env is None else env

    def rep(m):
        k = m.group(1) or m.group(2)
        if k not in env:
            raise KeyError(k)
        return env[k]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", rep, s)


class Images:
    def __init__(self, path, work):
        self.entries = []
        self.base = os.path.dirname(os.path.abspath(path))
        self.work = work
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        self.entries = data.get("images") or []
        self.built = {}

    @staticmethod
    def repository(image):
        ref = image.split("@", 1)[0]
        last = ref.rsplit("/", 1)
        if ":" in last[-1]:
            ref = ref[: ref.rfind(":")]
        parts = ref.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            parts = parts[1:]
        return "/".join(parts)

    def lookup(self, image):
        """The table entry of an image, with ${VAR}s expanded, or raise LookupError(reason)."""
        repo = self.repository(image)
        for e in self.entries:
            if any(fnmatch.fnmatch(repo, m) for m in e["match"]):
                missing = [v for v in e.get("requires", []) if not os.environ.get(v)]
                if missing:
                    raise LookupError(f"image {image}: {', '.join(missing)} not set (program not installed)")
                return self._resolve(e, repo)
        raise LookupError(f"image {image}: no entry in the image table (repository {repo})")

    def _resolve(self, e, repo):
        key = e["match"][0]
        rootfs = None
        if e.get("build"):
            rootfs = os.path.join(self.work, "images", re.sub(r"[^\w.-]", "_", key))
            if key not in self.built:
                if not os.path.isdir(rootfs):
                    tmp = rootfs + ".tmp"
                    shutil.rmtree(tmp, ignore_errors=True)
                    os.makedirs(tmp)
                    cmd = e["build"]
                    r = subprocess.run(["bash", "-c", cmd, "build", tmp], cwd=self.base, capture_output=True, text=True)
                    if r.returncode != 0:
                        raise LookupError(f"image {repo}: build failed: {r.stderr.strip()[-400:]}")
                    os.rename(tmp, rootfs)
                self.built[key] = rootfs
        ctx = {**os.environ, "IMAGE_ROOT": rootfs or "", "IMAGES_DIR": self.base}
        env = {k: expand_env(str(v), ctx) for k, v in (e.get("env") or {}).items()}
        binds = [{"dst": k, "src": expand_env(str(v), ctx)} for k, v in (e.get("binds") or {}).items()]
        for b in binds:
            if not os.path.exists(b["src"]):
                raise LookupError(f"image {repo}: {b['src']} (bound at {b['dst']}) does not exist")
        return {
            "env": env,
            "workdir": e.get("workdir", "/"),
            "entrypoint": e.get("entrypoint") or [],
            "cmd": e.get("cmd") or [],
            "rootfs": rootfs,
            "binds": binds,
            "user": e.get("user"),
        }


# ---- quantities ----------------------------------------------------------------------------------

_SUFFIX = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "k": 1000, "M": 1000**2, "G": 1000**3,
           "T": 1000**4, "m": 0.001, "": 1}


def quantity(q):
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    if not m:
        return 0
    return float(m.group(1)) * _SUFFIX.get(m.group(2), 1)


# ---- the pod -------------------------------------------------------------------------------------


def env_expand(s, env):
    """Kubernetes' $(VAR) expansion: defined names replaced, $$ -> $, undefined left as is."""
    out, i = [], 0
    while i < len(s):
        if s.startswith("$$", i):
            out.append("$")
            i += 2
        elif s.startswith("$(", i):
            j = s.find(")", i)
            name = s[i + 2:j] if j > 0 else None
            if name is not None and name in env:
                out.append(env[name])
                i = j + 1
            else:
                out.append(s[i])
                i += 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


class ProbeFailed(Exception):
    pass


class Pod:
    def __init__(self, node, kind, name):
        self.node = node
        self.kind, self.name = kind, name
        m = node.manifests
        self.meta, self.spec, self.claims, self.pod_name = m.pod_template(kind, name)
        self.dir = os.path.join(node.work, "pods", self.pod_name)
        self.procs = {}  # container name -> Popen
        self.ready = {}
        self.events = []
        self.stopped = False
        self.ip = node.alloc_ip()

    # -- volumes --
    def _write_items(self, dest, data, items, mode):
        os.makedirs(dest, exist_ok=True)
        keys = [(i["key"], i["path"], i.get("mode", mode)) for i in items] if items else [(k, k, mode) for k in data]
        for key, path, fmode in keys:
            if key not in data:
                raise RuntimeError(f"key {key} missing")
            p = os.path.join(dest, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data[key])
            os.chmod(p, fmode if fmode is not None else 0o644)

    def prepare_volumes(self):
        m = self.node.manifests
        vols = {}
        vroot = os.path.join(self.dir, "volumes")
        shutil.rmtree(vroot, ignore_errors=True)
        for v in self.spec.get("volumes") or []:
            name = v["name"]
            d = os.path.join(vroot, name)
            if "emptyDir" in v:
                os.makedirs(d)
                os.chmod(d, 0o777)
            elif "configMap" in v or "secret" in v:
                data, src, what = m.source_data(v)
                if data is None:
                    if src.get("optional"):
                        os.makedirs(d)
                        vols[name] = d
                        continue
                    raise RuntimeError(f"volume {name}: {what} not in the manifests")
                self._write_items(d, data, src.get("items"), src.get("defaultMode", 0o644))
            elif "projected" in v:
                os.makedirs(d)
                for s in v["projected"].get("sources") or []:
                    if "configMap" in s or "secret" in s:
                        data, src, what = m.source_data(s)
                        if data is None:
                            if src.get("optional"):
                                continue
                            raise RuntimeError(f"volume {name}: {what} not in the manifests")
                        self._write_items(d, data, src.get("items"), v["projected"].get("defaultMode", 0o644))
                    elif "serviceAccountToken" in s:
                        with open(os.path.join(d, s["serviceAccountToken"]["path"]), "w") as f:
                            f.write("podrun-no-token")
                    elif "downwardAPI" in s:
                        self._downward(d, s["downwardAPI"].get("items") or [])
            elif "downwardAPI" in v:
                os.makedirs(d)
                self._downward(d, v["downwardAPI"].get("items") or [])
            elif "persistentVolumeClaim" in v:
                d = os.path.join(self.node.work, "pvc", v["persistentVolumeClaim"]["claimName"])
                self._claim_dir(d)
            elif "ephemeral" in v:
                os.makedirs(d)
            else:
                raise RuntimeError(f"volume {name}: type {sorted(set(v) - {'name'})} not supported")
            vols[name] = d
        for c in self.claims:
            cname = c["metadata"]["name"]
            d = os.path.join(self.node.work, "pvc", f"{cname}-{self.pod_name}")
            self._claim_dir(d)
            vols[cname] = d
        self.volumes = vols

    def _claim_dir(self, d):
        """A claim's volume: owned by root, group fsGroup with setgid, as the kubelet leaves it
        (world-writable without fsGroup: a fresh volume of most provisioners)."""
        if not os.path.isdir(d):
            os.makedirs(d)
            fsg = (self.spec.get("securityContext") or {}).get("fsGroup")
            if fsg is not None and os.geteuid() == 0:
                os.chown(d, 0, int(fsg))
                os.chmod(d, 0o2775)
            else:
                os.chmod(d, 0o777)

    def _downward(self, d, items):
        for it in items:
            fr = it.get("fieldRef", {}).get("fieldPath", "")
            val = self.field(fr)
            with open(os.path.join(d, it["path"]), "w") as f:
                f.write(val)

    def field(self, path):
        labels = self.meta.get("labels") or {}
        ann = self.meta.get("annotations") or {}
        if path == "metadata.labels":
            return "\n".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        if path == "metadata.annotations":
            return "\n".join(f'{k}="{v}"' for k, v in sorted(ann.items()))
        mm = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
        if mm:
            return (labels if mm.group(1) == "labels" else ann).get(mm.group(2), "")
        return {
            "metadata.name": self.pod_name,
            "metadata.namespace": self.node.manifests.namespace,
            "metadata.uid": "00000000-0000-0000-0000-000000000000",
            "spec.nodeName": "podrun",
            "spec.serviceAccountName": self.spec.get("serviceAccountName", "default"),
            "status.hostIP": "127.0.0.1",
            "status.podIP": self.ip,
            "status.podIPs": self.ip,
        }.get(path, "")

    # -- env --
    def container_env(self, c, image):
        m = self.node.manifests
        env = dict(image["env"])
        env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        env["HOSTNAME"] = self.pod_name
        env["PODRUN_POD_IP"] = self.ip
        if self.spec.get("enableServiceLinks", True):
            env.update(self.node.service_links())
        own = {}
        for ef in c.get("envFrom") or []:
            pre = ef.get("prefix", "")
            if "configMapRef" in ef or "secretRef" in ef:
                data, ref, what = m.source_data(ef)
                if data is None:
                    if ref.get("optional"):
                        continue
                    raise RuntimeError(f"envFrom: {what} not in the manifests")
                for k, v in data.items():
                    own[pre + k] = v.decode()
        for e in c.get("env") or []:
            name = e["name"]
            if "value" in e:
                own[name] = env_expand(str(e["value"]), {**env, **own})
            elif "valueFrom" in e:
                vf = e["valueFrom"]
                if "secretKeyRef" in vf or "configMapKeyRef" in vf:
                    data, ref, what = m.source_data(vf)
                    if data is None or ref["key"] not in data:
                        if ref.get("optional"):
                            continue
                        raise RuntimeError(f"env {name}: {what}, key {ref['key']}, not in the manifests")
                    own[name] = data[ref["key"]].decode()
                elif "fieldRef" in vf:
                    own[name] = self.field(vf["fieldRef"]["fieldPath"])
                elif "resourceFieldRef" in vf:
                    r = vf["resourceFieldRef"]
                    res = c.get("resources") or {}
                    kind, what = r["resource"].split(".", 1)
                    q = (res.get(kind) or {}).get(what)
                    div = quantity(r.get("divisor", "1"))
                    if q is None:
                        own[name] = "0"
                    else:
                        val = quantity(q) / div
                        own[name] = str(int(-(-val // 1)))
            else:
                own[name] = ""
        env.update(own)
        for k in self.node.drop_env.get(c["name"], ()):
            env.pop(k, None)
        return env

    # -- start --
    def container_spec(self, c, init=False):
        image = self.node.images.lookup(c["image"])
        env = self.container_env(c, image)
        command = c.get("command")
        args = c.get("args")
        if command is None:
            argv = list(image["entrypoint"]) + list(args if args is not None else image["cmd"])
        else:
            argv = list(command) + list(args or [])
        argv = [env_expand(a, env) for a in argv]
        if not argv:
            raise RuntimeError(f"container {c['name']}: no command (image table has no entrypoint/cmd)")
        psc = self.spec.get("securityContext") or {}
        sc = {**psc, **(c.get("securityContext") or {})}
        # The user as the container runtime picks it: runAsUser, else the image's USER; with
        # runAsNonRoot and no user (OpenShift's restricted SCC drops fixed IDs and assigns one from
        # the namespace's range), a uid of that kind.
        uid = sc.get("runAsUser", image.get("user"))
        if uid is None:
            uid = 1000680000 if sc.get("runAsNonRoot") else 0
        gid = sc.get("runAsGroup", 0 if uid != 1000680000 else 0)
        groups = [g for g in [psc.get("fsGroup")] + list(psc.get("supplementalGroups") or []) if g is not None]
        mounts = []
        for vm in c.get("volumeMounts") or []:
            src = self.volumes.get(vm["name"])
            if src is None:
                raise RuntimeError(f"container {c['name']}: volumeMount {vm['name']} has no volume")
            if vm.get("subPath"):
                src = os.path.join(src, vm["subPath"])
                if not os.path.exists(src):
                    os.makedirs(src)
            mounts.append({"src": src, "dst": vm["mountPath"], "ro": bool(vm.get("readOnly"))})
        files = list(image["binds"])
        if image["rootfs"]:
            for dp, _, fns in os.walk(image["rootfs"]):
                for fn in fns:
                    p = os.path.join(dp, fn)
                    files.append({"src": p, "dst": "/" + os.path.relpath(p, image["rootfs"])})
        return {
            "name": c["name"],
            "argv": argv,
            "env": env,
            "workdir": c.get("workingDir") or image["workdir"] or "/",
            "mounts": mounts,
            "files": files,
            "readonly_root": bool(sc.get("readOnlyRootFilesystem")),
            "uid": int(uid), "gid": int(gid), "groups": [int(g) for g in groups],
            "share": [d for d in os.environ.get("PODRUN_SHARE", "").split(":") if d],
            "hosts": self.node.hosts_file,
            "resolv": self.node.resolv_file,
            "root": os.path.join(self.dir, "root-" + c["name"]),
            "ports": {p.get("name"): p["containerPort"] for p in c.get("ports") or [] if p.get("name")},
        }

    def launch(self, spec):
        os.makedirs(spec["root"], exist_ok=True)
        specfile = os.path.join(self.dir, spec["name"] + ".spec.json")
        with open(specfile, "w") as f:
            json.dump(spec, f)
        logf = open(os.path.join(self.dir, spec["name"] + ".log"), "ab")
        cmd = self.node.unshare + [sys.executable, os.path.abspath(__file__), "_exec", specfile]
        # Always from the node's one spawner thread: a container's parent-death signal fires when
        # the *thread* that started it ends, and pods start from short-lived threads.
        return self.node.spawner.submit(subprocess.Popen, cmd, stdout=logf, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True).result()

    def log_tail(self, cname, n=15):
        try:
            with open(os.path.join(self.dir, cname + ".log"), "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()[-n:]
        except OSError:
            return ""
        return self.node.redact("\n".join(lines))

    def start(self, timeout):
        """Init containers to completion, then containers; returns when all are Ready (or raises)."""
        t0 = time.time()
        os.makedirs(self.dir, exist_ok=True)
        self.prepare_volumes()
        self.node.register(self)
        self.stopped = False
        for c in self.spec.get("initContainers") or []:
            spec = self.container_spec(c, init=True)
            if c.get("restartPolicy") == "Always":  # sidecar
                self.procs[c["name"]] = self.launch(spec)
                continue
            p = self.launch(spec)
            self.procs[c["name"]] = p
            try:
                rc = p.wait(timeout=max(1, timeout - (time.time() - t0)))
            except subprocess.TimeoutExpired:
                self.stop()
                raise RuntimeError(f"init container {c['name']} did not finish in {timeout}s:\n{self.log_tail(c['name'])}")
            del self.procs[c["name"]]
            self.events.append(f"init {c['name']} exited {rc} after {time.time() - t0:.1f}s")
            if rc != 0:
                raise RuntimeError(f"init container {c['name']} exited {rc}:\n{self.log_tail(c['name'])}")
        self.specs = {}
        for c in self.spec.get("containers") or []:
            spec = self.container_spec(c)
            self.specs[c["name"]] = (c, spec)
            self.procs[c["name"]] = self.launch(spec)
            self.node.forward_services(self, spec)
        t_started = time.time()
        threads, errors = [], []
        for cname, (c, spec) in self.specs.items():
            th = threading.Thread(target=self._probe_until_ready, args=(c, spec, t_started, timeout - (t_started - t0), errors))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        if errors:
            raise RuntimeError("; ".join(errors))
        self.events.append(f"Ready after {time.time() - t0:.1f}s")
        return time.time() - t0

    def run(self, timeout):
        """A Job's pod: init containers, then the containers to completion; {container: exit code}."""
        t0 = time.time()
        os.makedirs(self.dir, exist_ok=True)
        self.prepare_volumes()
        self.node.register(self)
        self.stopped = False
        self.specs = {}
        for c in self.spec.get("initContainers") or []:
            p = self.launch(self.container_spec(c, init=True))
            self.procs[c["name"]] = p
            rc = p.wait(timeout=max(1, timeout - (time.time() - t0)))
            del self.procs[c["name"]]
            if rc != 0:
                return {c["name"]: rc}
        for c in self.spec.get("containers") or []:
            spec = self.container_spec(c)
            self.specs[c["name"]] = (c, spec)
            self.procs[c["name"]] = self.launch(spec)
        out = {}
        for name, p in list(self.procs.items()):
            try:
                out[name] = p.wait(timeout=max(1, timeout - (time.time() - t0)))
            except subprocess.TimeoutExpired:
                out[name] = None
        self.stop(grace=5)
        return out

    # -- probes --
    def probe_once(self, probe, spec, pid):
        t = probe.get("timeoutSeconds", 1)
        if "httpGet" in probe:
            h = probe["httpGet"]
            port = h["port"]
            if not isinstance(port, int) and not str(port).isdigit():
                port = spec["ports"].get(port)
            scheme = h.get("scheme", "HTTP").lower()
            url = f"{scheme}://{h.get('host') or self.ip}:{port}{h.get('path', '/')}"
            req = urllib.request.Request(url, headers={x["name"]: x["value"] for x in h.get("httpHeaders") or []})
            try:
                with urllib.request.urlopen(req, timeout=t) as r:
                    return 200 <= r.status < 400, f"HTTP {r.status}"
            except urllib.error.HTTPError as e:
                return 200 <= e.code < 400, f"HTTP {e.code}"
            except Exception as e:  # noqa: BLE001 (a failed probe, whatever the reason)
                return False, str(e)
        if "tcpSocket" in probe:
            port = probe["tcpSocket"]["port"]
            if not isinstance(port, int) and not str(port).isdigit():
                port = spec["ports"].get(port)
            try:
                socket.create_connection((self.ip, int(port)), timeout=t).close()
                return True, "connected"
            except OSError as e:
                return False, str(e)
        if "exec" in probe:
            try:
                r = self.node.exec_in(pid, spec, probe["exec"]["command"], timeout=t)
                return r.returncode == 0, f"exit {r.returncode}: {(r.stdout + r.stderr).strip()[-200:]}"
            except subprocess.TimeoutExpired:
                return False, f"timed out after {t}s"
        if "grpc" in probe:
            return False, "grpc probes are not supported"
        return True, "no handler"

    def _probe_until_ready(self, c, spec, t_started, budget, errors):
        p = self.procs[c["name"]]
        deadline = t_started + budget

        def alive():
            if p.poll() is not None:
                errors.append(f"container {c['name']} exited {p.returncode}:\n{self.log_tail(c['name'])}")
                return False
            return True

        def run(probe, kind, until_success):
            """Poll a probe as the kubelet does; True once it passes successThreshold times."""
            delay = probe.get("initialDelaySeconds", 0)
            period = probe.get("periodSeconds", 10)
            fth = probe.get("failureThreshold", 3)
            sth = probe.get("successThreshold", 1)
            next_t = time.time() + delay
            fails = succ = 0
            while True:
                while time.time() < next_t:
                    if not alive():
                        return False
                    time.sleep(0.1)
                if not alive():
                    return False
                ok, why = self.probe_once(probe, spec, p.pid)
                if ok:
                    succ, fails = succ + 1, 0
                    if succ >= sth:
                        self.events.append(f"{c['name']} {kind} probe passed after {time.time() - t_started:.1f}s")
                        return True
                else:
                    succ, fails = 0, fails + 1
                    if kind == "startup" and fails >= fth:
                        errors.append(f"container {c['name']}: startup probe failed {fails} times ({why}); "
                                      f"the kubelet would kill it\n{self.log_tail(c['name'])}")
                        return False
                if time.time() + period > deadline:
                    errors.append(f"container {c['name']}: {kind} probe not passing after {budget:.0f}s ({why})\n"
                                  f"{self.log_tail(c['name'])}")
                    return False
                next_t = time.time() + period

        sp = c.get("startupProbe")
        if sp and not run(sp, "startup", True):
            return
        rp = c.get("readinessProbe")
        lp = c.get("livenessProbe")
        if rp:
            if not run(rp, "readiness", True):
                return
        else:
            time.sleep(0.5)
            if not alive():
                return
        if lp:
            ok, why = self.probe_once(lp, spec, p.pid)
            if not ok:
                # one check now; the kubelet restarts only after failureThreshold periods
                time.sleep(lp.get("periodSeconds", 10) and 1)
                ok, why = self.probe_once(lp, spec, p.pid)
                if not ok:
                    errors.append(f"container {c['name']}: liveness probe fails once Ready ({why})")
                    return
            self.events.append(f"{c['name']} liveness probe passes")
        self.ready[c["name"]] = True

    def exec(self, cname, argv, timeout=30, env=None):
        """Run argv inside a running container (its filesystem view and environment)."""
        c, spec = self.specs[cname]
        p = self.procs[cname]
        return self.node.exec_in(p.pid, spec, argv, timeout=timeout, env=env)

    def stop(self, grace=None):
        """SIGTERM every container, wait the grace period, then SIGKILL. Returns {container: how}."""
        grace = self.spec.get("terminationGracePeriodSeconds", 30) if grace is None else grace
        how = {}
        for name, p in list(self.procs.items()):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.time() + grace
        for name, p in list(self.procs.items()):
            try:
                p.wait(timeout=max(0.1, end - time.time()))
                how[name] = f"exited {p.returncode} on SIGTERM"
            except subprocess.TimeoutExpired:
                how[name] = f"ignored SIGTERM for {grace}s: killed"
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        self.procs.clear()
        self.stopped = True
        return how


class Node:
    """The manifests, the image table, and the pods running."""

    def __init__(self, manifests, images, work):
        self.manifests, self.images, self.work = manifests, images, os.path.abspath(work)
        os.makedirs(self.work, exist_ok=True)
        self.pods = []
        self.drop_env = {}  # container name -> variables left out (a deviation the caller reports)
        self.forwarders = []
        self.spawner = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="podrun-spawner")
        self._secrets = manifests.secret_values()
        self.unshare = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            self.unshare = ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]
        self.hosts_file = os.path.join(self.work, "hosts")
        self.resolv_file = os.path.join(self.work, "resolv.conf")
        self.next_ip = 2
        self.lock = threading.RLock()
        self.addr = {}  # hostname -> address
        ns = manifests.namespace
        for s in manifests.services():
            for n in self.service_names(s["metadata"]["name"]):
                self.addr[n] = "127.0.0.1"
        with open(self.resolv_file, "w") as f:
            f.write("# podrun: no DNS; names resolve from /etc/hosts only\n")
        self.ns = ns
        self.write_hosts()

    def service_names(self, n):
        ns = self.manifests.namespace
        return [n, f"{n}.{ns}", f"{n}.{ns}.svc", f"{n}.{ns}.svc.cluster.local"]

    def alloc_ip(self):
        ip = f"127.0.0.{self.next_ip}"
        self.next_ip += 1
        return ip

    def write_hosts(self):
        """Rewritten in place (same inode): containers have it bind-mounted and see every change."""
        with self.lock:
            self._hosts_lines()

    def _hosts_lines(self):
        lines = ["# podrun: the release's Services and pods, on this machine's loopback",
                 "127.0.0.1 localhost podrun"]
        by_ip = {}
        for n, ip in self.addr.items():
            by_ip.setdefault(ip, []).append(n)
        for ip, names in sorted(by_ip.items()):
            for i in range(0, len(names), 8):
                lines.append(ip + " " + " ".join(names[i:i + 8]))
        data = ("\n".join(lines) + "\n").encode()
        with self.lock:
            self._write_hosts(data)

    def _write_hosts(self, data):
        fd = os.open(self.hosts_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)

    def register(self, pod):
        """The pod runs: the Services that select it, and its own StatefulSet names, point at it."""
        labels = pod.meta.get("labels") or {}
        for s in self.manifests.services():
            sel = (s.get("spec") or {}).get("selector") or {}
            pn = sel.get("statefulset.kubernetes.io/pod-name")
            if sel and all(labels.get(k) == v for k, v in sel.items() if k != "statefulset.kubernetes.io/pod-name") \
                    and (pn is None or pn == pod.pod_name):
                for n in self.service_names(s["metadata"]["name"]):
                    self.addr[n] = pod.ip
        if pod.kind == "StatefulSet":
            svc = self.manifests.workload_services(pod.kind, pod.name)
            names = [pod.pod_name]
            if svc:
                names += [f"{pod.pod_name}.{n}" for n in self.service_names(svc)]
            for n in names:
                self.addr[n] = pod.ip
        self.write_hosts()

    def address(self, name):
        return self.addr.get(name, "127.0.0.1")

    def redact(self, text):
        for v in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(v, "***")
        return text

    def service_links(self):
        env = {}
        for s in self.manifests.services():
            spec = s.get("spec") or {}
            if spec.get("clusterIP") == "None" or not spec.get("ports"):
                continue
            n = re.sub(r"[^A-Z0-9]", "_", s["metadata"]["name"].upper())
            p0 = spec["ports"][0]
            ip = self.address(s["metadata"]["name"])
            env[f"{n}_SERVICE_HOST"] = ip
            env[f"{n}_SERVICE_PORT"] = str(p0["port"])
            for p in spec["ports"]:
                proto = p.get("protocol", "TCP")
                if p.get("name"):
                    env[f"{n}_SERVICE_PORT_{re.sub(r'[^A-Z0-9]', '_', p['name'].upper())}"] = str(p["port"])
                env[f"{n}_PORT_{p['port']}_{proto}"] = f"{proto.lower()}://{ip}:{p['port']}"
            env[f"{n}_PORT"] = f"{p0.get('protocol', 'TCP').lower()}://{ip}:{p0['port']}"
        return env

    def forward_services(self, pod, spec):
        """Services that select the pod with port != targetPort: forward port -> targetPort."""
        labels = pod.meta.get("labels") or {}
        for s in self.manifests.services():
            sel = (s.get("spec") or {}).get("selector") or {}
            if not sel or any(labels.get(k) != v for k, v in sel.items() if k != "statefulset.kubernetes.io/pod-name"):
                continue
            for p in s["spec"].get("ports") or []:
                tp = p.get("targetPort", p["port"])
                if not isinstance(tp, int) and not str(tp).isdigit():
                    tp = spec["ports"].get(tp)
                    if tp is None:
                        continue
                tp = int(tp)
                if tp != int(p["port"]) and all(f[:2] != (pod.ip, int(p["port"])) for f in self.forwarders):
                    self.forwarders.append((pod.ip, int(p["port"]), Forwarder(pod.ip, int(p["port"]), tp)))

    def exec_in(self, pid, spec, argv, timeout=30, env=None):
        # --wd without a value: the target's working directory (a value would be looked up outside).
        cmd = ["nsenter", "--target", str(pid), "--mount", "--root", "--wd",
               f"--setuid={spec['uid']}", f"--setgid={spec['gid']}", "env", "-i"] + [f"{k}={v}" for k, v in {**spec["env"], **(env or {})}.items()] + list(argv)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def pod(self, kind, name):
        p = Pod(self, kind, name)
        self.pods.append(p)
        return p

    def stop_all(self, grace=10):
        for p in self.pods:
            if not p.stopped:
                p.stop(grace)
        for f in self.forwarders:
            f[2].close()
        self.forwarders.clear()


class Forwarder:
    def __init__(self, ip, port, target):
        self.ip, self.target = ip, target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(64)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe_pair, args=(c,), daemon=True).start()

    def _pipe_pair(self, c):
        try:
            u = socket.create_connection((self.ip, self.target), timeout=5)
            u.settimeout(None)
        except OSError:
            c.close()
            return

        def pipe(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()
        pipe(c, u)

    def close(self):
        self.closed = True
        self.sock.close()


# ---- inside the container's mount namespace -----------------------------------------------------


def _mount(*args):
    subprocess.run(["mount", *args], check=True)


def container_exec(specfile):
    """Build the container's root (in a private mount namespace), chroot into it, exec argv."""
    with open(specfile) as f:
        spec = json.load(f)
    new = spec["root"]
    _mount("-t", "tmpfs", "-o", "mode=755", "podrun-root", new)
    binds = []
    for e in os.listdir("/"):
        src, dst = "/" + e, os.path.join(new, e)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        elif os.path.isdir(src):
            os.mkdir(dst)
            _mount("--rbind", src, dst)
            binds.append(dst)
        elif os.path.exists(src):
            open(dst, "w").close()
            _mount("--bind", src, dst)
    overlays = {}
    scratch = os.path.join(os.path.dirname(specfile), "ovl-" + spec["name"])
    shutil.rmtree(scratch, ignore_errors=True)

    def ensure(path, is_dir):
        """Make path exist in the new root without writing to the host: an overlay on its nearest
        existing ancestor (a bound host directory), or on the root tmpfs itself."""
        path = in_root(new, path)
        p = os.path.join(new, path.lstrip("/"))
        if os.path.lexists(p):
            return p
        anc = os.path.dirname(path.rstrip("/")) or "/"
        while not os.path.isdir(os.path.join(new, anc.lstrip("/"))):
            anc = os.path.dirname(anc) or "/"
        if anc != "/" and anc not in overlays:
            # the nearest ancestor that is a directory of the host: overlay it
            top = anc
            n = len(overlays)
            up, wk = os.path.join(scratch, f"{n}/up"), os.path.join(scratch, f"{n}/wk")
            os.makedirs(up)
            os.makedirs(wk)
            _mount("-t", "overlay", "podrun-ovl", "-o",
                   f"lowerdir={os.path.join(new, top.lstrip('/'))},upperdir={up},workdir={wk}",
                   os.path.join(new, top.lstrip("/")))
            overlays[top] = True
        if is_dir:
            os.makedirs(p, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").close()
        return p

    targets = []
    for fm in spec["files"]:
        targets.append((ensure(fm["dst"], os.path.isdir(fm["src"])), fm["src"], True))
    for m in spec["mounts"]:
        targets.append((ensure(m["dst"], os.path.isdir(m["src"])), m["src"], m["ro"]))
    workdir = spec["workdir"]
    ensure(workdir, True)
    for f in ("hosts", "resolv"):
        targets.append((ensure("/etc/hosts" if f == "hosts" else "/etc/resolv.conf", False), spec[f], True))
    # the image's files: bound before the root turns read-only
    for dst, src, ro in targets[: len(spec["files"])]:
        _mount("--rbind" if os.path.isdir(src) else "--bind", src, dst)
    if spec["readonly_root"]:
        for b in binds + [os.path.join(new, t.lstrip("/")) for t in overlays]:
            if os.path.basename(b) in ("proc", "dev", "sys"):
                continue
            _mount("-o", "remount,bind,ro", b)
        _mount("-o", "remount,ro", new)
    for dst, src, ro in targets[len(spec["files"]):]:
        _mount("--bind", src, dst)
        if ro:
            _mount("-o", "remount,bind,ro", dst)
    shared = set()
    for d in spec.get("share") or []:
        share(new, d, spec["uid"], shared)
    os.chroot(new)
    os.chdir(workdir)
    if spec["uid"] != 0 or spec["gid"] != 0:
        os.setgroups(spec["groups"])
        os.setgid(spec["gid"])
        os.setuid(spec["uid"])
    # Dies with podrun (set after setuid, which clears it): never a process left behind.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        sys.exit(1)
    env = spec["env"]
    os.execvpe(spec["argv"][0], spec["argv"], env) if "/" in spec["argv"][0] else _execp(spec["argv"], env)


def in_root(new, path):
    """path with its symlinks resolved as inside the root `new` (an absolute link target is
    relative to `new`, as after chroot), e.g. /var/run/x -> /run/x when /var/run -> /run."""
    parts = [x for x in path.split("/") if x]
    out = []
    hops = 0
    while parts:
        x = parts.pop(0)
        if x == ".":
            continue
        if x == "..":
            if out:
                out.pop()
            continue
        cand = os.path.join(new, *out, x)
        if os.path.islink(cand) and hops < 40:
            hops += 1
            t = os.readlink(cand)
            if t.startswith("/"):
                out = []
            parts = [y for y in t.split("/") if y] + parts
            continue
        out.append(x)
    return "/" + "/".join(out)


def share(new, d, uid, shared):
    """Make host directory d reachable for uid inside the new root: the first ancestor that only
    its owner may enter (e.g. /root) becomes a tmpfs holding just the path down to d."""
    if uid == 0:
        return
    parts = d.strip("/").split("/")
    for i in range(1, len(parts)):
        anc = "/" + "/".join(parts[:i])
        st = os.stat(anc)
        if anc in shared or not st.st_mode & 0o001:
            target = os.path.join(new, anc.lstrip("/"))
            if anc not in shared:
                _mount("-t", "tmpfs", "-o", "mode=755", "podrun-share", target)
                shared.add(anc)
            inner = os.path.join(new, d.lstrip("/"))
            os.makedirs(inner, exist_ok=True)
            _mount("--rbind", "-o", "ro", d, inner)
            return


def _execp(argv, env):
    for d in env.get("PATH", "/usr/bin:/bin").split(":"):
        p = os.path.join(d, argv[0])
        if os.path.isfile(p) and os.access(p, os.X_OK):
            os.execve(p, argv, env)
    print(f"podrun: exec: {argv[0]}: not found in PATH={env.get('PATH')}", file=sys.stderr)
    sys.exit(127)


# ---- CLI -----------------------------------------------------------------------------------------


def exit_on_signals():
    """SIGTERM/SIGINT/SIGHUP raise SystemExit, so that every `finally` stops what it started."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, handler)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "_exec":
        container_exec(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start workloads, wait until Ready, run --then, stop")
    up.add_argument("-f", "--manifests", action="append", required=True)
    up.add_argument("--images", required=True)
    up.add_argument("--work", required=True)
    up.add_argument("-n", "--namespace", default="default")
    up.add_argument("--timeout", type=float, default=300)
    up.add_argument("workloads", nargs="+", help="KIND/NAME")
    up.add_argument("--then", nargs=argparse.REMAINDER, help="command to run once Ready (default: wait for Ctrl-C)")
    a = ap.parse_args()
    exit_on_signals()
    m = Manifests.load(a.manifests, a.namespace)
    node = Node(m, Images(a.images, a.work), a.work)
    rc = 0
    try:
        for w in a.workloads:
            kind, name = w.split("/", 1)
            pod = node.pod(kind, name)
            took = pod.start(a.timeout)
            log(f"{kind}/{name}: pod {pod.pod_name} Ready in {took:.1f}s")
        if a.then:
            rc = subprocess.call(a.then)
        else:
            while True:
                time.sleep(3600)
    except RuntimeError as e:
        log(f"FAILED: {node.redact(str(e))}")
        rc = 1
    finally:
        node.stop_all()
    sys.exit(rc)


if __name__ == "__main__":
    main()
