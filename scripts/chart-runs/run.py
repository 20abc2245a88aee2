#!/usr/bin/env python3
"""The scenarios of the chart-runs tier (scripts/test.d/43-chart-runs.sh) for one profile.

    run.py --profile NAME -f RENDERED.yaml --images images.yaml --work DIR --results OUT.jsonl

Runs inside a network namespace of its own (the suite starts it with `unshare --net`): every
program listens and connects on loopback only. For each component the profile renders, the pods
are started with scripts/podrun.py from exactly what `helm template` rendered, and one result row
per component is appended to OUT.jsonl:
  {"profile", "component", "started", "probes", "scenario", "detail", "seconds"}
with each of started/probes/scenario one of "ok", "FAIL", "skip", "xfail" (a known defect, listed
in KNOWN_DEFECTS with its issue: it must fail, and fails the tier once it passes), "-" (not reached).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import podrun  # noqa: E402
import yaml  # noqa: E402

RELEASE = "llm"

# (component, profile or "*") -> why it is expected to fail today. A row that fails as listed is
# "xfail"; one that passes is a failure of the tier ("XPASS": remove it from this list).
KNOWN_DEFECTS = {
}


class Skip(Exception):
    pass


class Check:
    """One component's row."""

    def __init__(self, profile, component):
        self.row = {"profile": profile, "component": component, "started": "-", "probes": "-",
                    "scenario": "-", "detail": "", "seconds": 0}
        self.t0 = time.time()

    def done(self, out):
        self.row["seconds"] = round(time.time() - self.t0, 1)
        key = next((k for k in ((self.row["component"], self.row["profile"]), (self.row["component"], "*"))
                    if k in KNOWN_DEFECTS), None)
        failed = "FAIL" in (self.row["started"], self.row["probes"], self.row["scenario"])
        if key:
            if failed:
                for f in ("started", "probes", "scenario"):
                    if self.row[f] == "FAIL":
                        self.row[f] = "xfail"
                self.row["detail"] = "known defect: " + self.row["detail"]
            else:
                self.row["scenario"] = "FAIL"
                self.row["detail"] = f"XPASS: passes although listed as a known defect ({KNOWN_DEFECTS[key]})"
        out.write(json.dumps(self.row) + "\n")
        out.flush()
        print(f"  {self.row['component']:<18} started={self.row['started']:<5} probes={self.row['probes']:<5} "
              f"scenario={self.row['scenario']:<5} {self.row['seconds']:>6}s  {self.row['detail']}", flush=True)


def start_pod(node, check, kind, name, timeout):
    """Start a workload's pod; fills started/probes. Returns the pod or None."""
    pod = node.pod(kind, name)
    try:
        took = pod.start(timeout)
    except LookupError as e:  # the image's program is not installed here
        check.row.update(started="skip", probes="skip", scenario="skip", detail=str(e))
        return None
    except RuntimeError as e:
        msg = node.redact(str(e))
        started = "ok" if "probe" in msg and "exited" not in msg.split("\n")[0] else "FAIL"
        check.row.update(started=started, probes="FAIL")
        lines = msg.split("\n")
        check.row["detail"] = (lines[0] + (" " + lines[-1].split(" # ")[-1] if len(lines) > 1 else ""))[:300]
        print(f"    {kind}/{name}:\n      " + msg.replace("\n", "\n      "), flush=True)
        return None
    check.row.update(started="ok", probes="ok")
    check.row["detail"] = f"Ready in {took:.1f}s"
    return pod


def secret(m, name, key):
    d = m.secret_data(name)
    if d is None or key not in d:
        raise RuntimeError(f"Secret {name} has no key {key}")
    return d[key].decode()


# ---- Redis ---------------------------------------------------------------------------------------


def redis_cli(pod, *a):
    """redis-cli in the Redis container, on the port it listens on (global.ports.redis)."""
    port = pod.specs["redis"][1]["ports"].get("redis", 6379)
    return pod.exec("redis", ["redis-cli", "--no-auth-warning", "-p", str(port), *a], timeout=15)


def redis_scenario(node, check, args):
    m = node.manifests
    sts = f"{RELEASE}-redis"
    w = m.get("StatefulSet", sts)
    if w is None:
        raise Skip("not rendered")
    persistent = bool((w["spec"].get("volumeClaimTemplates")))
    pod = start_pod(node, check, "StatefulSet", sts, args.timeout)
    if pod is None:
        return

    def cli(*a):
        r = redis_cli(pod, *a)
        return (r.stdout + r.stderr).strip()

    steps, errors = [], []
    out = cli("SET", "podrun:k1", "v1")
    if out != "OK":
        raise AssertionError(f"SET before BGSAVE: {out}")
    # the first BGSAVE, as Redis makes after its `save` thresholds, or as an operator would
    cli("BGSAVE")
    deadline = time.time() + 20
    while time.time() < deadline:
        if "rdb_bgsave_in_progress:0" in cli("INFO", "persistence"):
            break
        time.sleep(0.2)
    out = cli("SET", "podrun:k2", "v2")
    if out == "OK":
        steps.append("writes after BGSAVE")
    else:
        errors.append(f"writes refused after BGSAVE: {out[:90]}")
    save = cli("CONFIG", "GET", "save").splitlines()
    if not persistent and len(save) > 1 and save[1].strip():
        errors.append(f"persistence is off but Redis snapshots (save '{save[1]}')")
    how = pod.stop(grace=10).get("redis", "")
    if "ignored" in how:
        last = [ln for ln in pod.log_tail("redis", 30).splitlines() if "exit" in ln.lower()][-1:]
        errors.append(f"SIGTERM refused ({'; '.join(last) or how})")
    else:
        steps.append("stops on SIGTERM")
    if persistent and not errors:
        pod2 = node.pod("StatefulSet", sts)
        pod2.start(args.timeout)
        r = redis_cli(pod2, "GET", "podrun:k2")
        if r.stdout.strip() != "v2":
            errors.append(f"data lost across a restart: GET after restart = {r.stdout.strip()!r}")
        else:
            steps.append("data kept across a restart")
        pod2.stop(grace=10)
    if errors:
        raise AssertionError("; ".join(errors))
    return ", ".join(steps)


# ---- PostgreSQL ----------------------------------------------------------------------------------


def consumer_secrets(m):
    """The connection Secrets of the databases (label llm-stack.dev/database)."""
    return [d for d in m.of_kind("Secret") if "llm-stack.dev/database" in (d["metadata"].get("labels") or {})]


def connection_uri(m, name):
    """A consumer's connection URI: its Secret's `uri`; with global.postgresql.existingSecret the
    Secret has no password, and the URI is composed as the consumers' env does (the password from
    the Secret the PostgreSQL pod's `consumers` volume projects for that database)."""
    d = m.secret_data(name)
    if "uri" in d:
        return d["uri"].decode()
    db = d["database"].decode()
    pw = None
    for sts in m.of_kind("StatefulSet"):
        for v in sts["spec"]["template"]["spec"].get("volumes") or []:
            for src in (v.get("projected") or {}).get("sources") or []:
                for it in (src.get("secret") or {}).get("items") or []:
                    if it["path"] == f"{db}/password":
                        pw = secret(m, src["secret"]["name"], it["key"])
    if pw is None:
        raise RuntimeError(f"Secret {name} has no uri and no password Secret is projected for {db}")
    return (f"postgresql://{d['username'].decode()}:{pw}@{d['host'].decode()}:{d['port'].decode()}/{db}"
            f"{d.get('query', b'').decode()}")


def postgresql_scenario(node, check, args):
    m = node.manifests
    sts = f"{RELEASE}-postgresql"
    if m.get("StatefulSet", sts) is None:
        raise Skip("not rendered")
    pod = start_pod(node, check, "StatefulSet", sts, args.timeout)
    if pod is None:
        return
    made, errors = [], []
    for sec in consumer_secrets(m):
        name = sec["metadata"]["name"]
        uri = connection_uri(m, name)
        sql = "CREATE TABLE IF NOT EXISTS podrun_check (id int); INSERT INTO podrun_check VALUES (1); SELECT count(*) FROM podrun_check;"
        r = pod.exec("postgresql", ["psql", uri, "-v", "ON_ERROR_STOP=1", "-tAc", sql], timeout=30)
        if r.returncode != 0:
            errors.append(f"{name}: {node.redact(r.stderr.strip())[:200]}")
            continue
        made.append(secret(m, name, "database"))
        if secret(m, name, "database") == "r2r":
            # R2R keeps its vectors in PostgreSQL with pgvector; its role may not create the
            # extension itself: the bootstrap must have, as the admin.
            r = pod.exec("postgresql", ["psql", uri, "-v", "ON_ERROR_STOP=1", "-tAc",
                                        "CREATE TABLE IF NOT EXISTS podrun_vec (v vector(3)); "
                                        "INSERT INTO podrun_vec VALUES ('[1,2,3]'); SELECT count(*) FROM podrun_vec"],
                         timeout=30)
            if r.returncode != 0:
                errors.append(f"r2r: a vector column as its own role: {node.redact(r.stderr.strip())[:200]}")
            else:
                made[-1] = "r2r (with a pgvector column)"
    if errors:
        raise AssertionError("; ".join(errors))
    return f"a table created through the connection string of {', '.join(made)}"


# ---- LiteLLM (with PostgreSQL, Redis and the vLLM stand-ins) --------------------------------------


def start_all(node, check, workloads, timeout):
    """Start pods together, as the controllers do (their init containers wait for each other);
    {KIND/NAME: (pod, what start returned) or (None, the error)}."""
    results, threads = {}, []

    def one(kind, name):
        pod = node.pod(kind, name)
        try:
            results[f"{kind}/{name}"] = (pod, pod.start(timeout))
        except (RuntimeError, LookupError) as e:
            results[f"{kind}/{name}"] = (None, e)
    for kind, name in workloads:
        th = threading.Thread(target=one, args=(kind, name))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    return results


def start_all_or_report(node, check, workloads, timeout):
    """start_all; when a pod does not start or get Ready, its error (secrets redacted) is logged
    and goes to check.row, and the result is None."""
    res = start_all(node, check, workloads, timeout)
    failed = {k: v[1] for k, v in res.items() if v[0] is None}
    if failed:
        k, e = next(iter(failed.items()))
        msg = node.redact(str(e))
        print("    " + k + ": " + msg.replace("\n", "\n      "), flush=True)
        check.row.update(started="ok" if "probe" in msg.split("\n")[0] else "FAIL", probes="FAIL",
                         detail=f"{k}: {msg.splitlines()[0][:250]}")
        return None
    return res


def http(method, url, body=None, headers=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def litellm_scenario(node, check, args):
    m = node.manifests
    dep = f"{RELEASE}-litellm"
    if m.get("Deployment", dep) is None:
        raise Skip("not rendered")
    deps = []
    for kind, name in (("StatefulSet", f"{RELEASE}-postgresql"), ("StatefulSet", f"{RELEASE}-redis")):
        if m.get(kind, name) is not None:
            deps.append((kind, name))
    vllm = [("Deployment", d["metadata"]["name"]) for d in m.of_kind("Deployment")
            if (d["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == "model-server"]
    # LiteLLM opens its database through Prisma: the Python client generated at the image's build
    # and Prisma's query engine, which `prisma generate` downloads from Prisma's own binary host (no
    # package registry serves it), so here the gateway runs without DATABASE_URL (no virtual keys,
    # spend logs or UI; routing and caching work as rendered).
    node.drop_env["litellm"] = ["DATABASE_URL"]
    node.extra.append(start_external_provider(node, m))
    t0 = time.time()
    res = start_all_or_report(node, check, deps + vllm + [("Deployment", dep)], args.timeout)
    if res is None:
        return None
    ready = {k: v[1] for k, v in res.items()}
    for _, name in vllm:  # rows of their own: the model servers' stand-ins ran with the rendered pods
        node.side_rows.append({"component": name.removeprefix(RELEASE + "-"), "started": "ok", "probes": "ok",
                               "detail": f"fake OpenAI server on vLLM's rendered command line; Ready in "
                                         f"{ready[f'Deployment/{name}']:.1f}s (startup and readiness /health)"})
    check.row.update(started="ok", probes="ok",
                     detail=f"Ready in {time.time() - t0:.1f}s with its init waits (" +
                     ", ".join(f"{k.split('/')[1].removeprefix(RELEASE + '-')} {t:.0f}s" for k, t in ready.items()) + ")")
    gw = res[f"Deployment/{dep}"][0]
    port = gw.specs["litellm"][1]["ports"].get("http", 4000)
    base = f"http://{node.address(dep)}:{port}"
    key = gw.specs["litellm"][1]["env"]["LITELLM_MASTER_KEY"]  # the keys' Secret may be the user's
    auth = {"Authorization": f"Bearer {key}"}
    steps, errors = ["without DATABASE_URL (Prisma engines not installable offline)"], []
    code, body, _ = http("GET", base + "/v1/models", headers=auth)
    models = [x["id"] for x in json.loads(body).get("data", [])] if code == 200 else []
    steps.append(f"{len(models)} model(s) listed")
    external = EXTERNAL_HOST in node.addr
    if vllm or external:
        if not models:
            errors.append(f"/v1/models: {code} {body[:200]}")
        else:
            # the model servers behind the gateway count the chats they answered
            backends = {n: f"{node.address(n)}:{m.get('Service', n)['spec']['ports'][0]['port']}" for _, n in vllm}
            if external:
                backends[EXTERNAL_HOST] = f"{EXTERNAL_IP}:8000"

            def answered():
                out = {}
                for n, b in backends.items():
                    _, st, _ = http("GET", f"http://{b}/podrun/stats")
                    out[n] = json.loads(st).get("/v1/chat/completions", 0)
                return out
            ok_models = []
            for model in models:  # every model once, each to the server the gateway routes it to
                req = {"model": model, "messages": [{"role": "user", "content": f"hello from podrun to {model}"}]}
                c1, b1, _ = http("POST", base + "/v1/chat/completions", req, auth)
                if c1 != 200 or f"fake-vllm says: hello from podrun to {model}" not in b1:
                    errors.append(f"chat {model} through the gateway: {c1} {b1[:200]}")
                else:
                    ok_models.append(model)
            first = answered()
            for row in node.side_rows:
                if first.get(RELEASE + "-" + row["component"], 0) >= 1:
                    row["scenario"] = "ok"
                    row["detail"] += "; answers its model's chat through the gateway"
                else:
                    row["scenario"] = "FAIL"
                    row["detail"] += "; got no chat through the gateway"
            if ok_models:
                steps.append(f"chat {', '.join(ok_models)} via the gateway")
                req = {"model": models[0], "messages": [{"role": "user", "content": f"hello from podrun to {models[0]}"}]}
                c2, _, h2 = http("POST", base + "/v1/chat/completions", req, auth)
                hit = {k.lower(): v for k, v in h2.items()}.get("x-litellm-cache-key")
                rcli = res.get(f"StatefulSet/{RELEASE}-redis")
                nkeys = ""
                if rcli:
                    r = redis_cli(rcli[0], "DBSIZE")
                    nkeys = r.stdout.strip()
                again = sum(answered().values()) - sum(first.values())
                if c2 == 200 and again == 0 and nkeys not in ("", "0"):
                    steps.append(f"2nd identical request a Redis cache hit (no model server called; "
                                 f"{nkeys} key(s) in Redis{', cache key header' if hit else ''})")
                else:
                    errors.append(f"2nd identical request not served from the Redis cache (model servers answered "
                                  f"{again} more, Redis DBSIZE {nkeys!r})")
    job = f"{RELEASE}-litellm-migrations"
    pg = res.get(f"StatefulSet/{RELEASE}-postgresql")
    if m.get("Job", job) is not None and pg:
        steps.append(litellm_migrations(node, m, job, pg[0], args, errors))
    if errors:
        raise AssertionError("; ".join(errors))
    return ", ".join(steps)


def litellm_migrations(node, m, job, pg, args, errors):
    """The post-install Job as rendered (its prisma step needs Prisma's engines: expected to fail
    here, and the step that fails is reported), then LiteLLM's own migrations (litellm-proxy-extras,
    the SQL `prisma migrate deploy` applies) through the Job's DATABASE_URL, in order."""
    pod = node.pod("Job", job)
    rcs = pod.run(args.timeout)
    log = pod.log_tail("migrations", 40)
    why = next((ln.strip() for ln in log.splitlines() if "prisma" in ln.lower() and
                ("error" in ln.lower() or "not found" in ln.lower() or "No such file" in ln)), "")
    job_result = f"Job exit {rcs.get('migrations')}" + (f" ({why[:120]})" if rcs.get("migrations") else "")
    _, cspec = next(iter(pod.specs.values()))
    uri = cspec["env"]["DATABASE_URL"]
    mig = os.path.join(os.environ["LITELLM_SITE"], "litellm_proxy_extras", "migrations")
    applied = 0
    for d in sorted(os.listdir(mig)):
        f = os.path.join(mig, d, "migration.sql")
        if not os.path.isfile(f):
            continue
        r = pg.exec("postgresql", ["psql", uri, "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", f], timeout=60)
        if r.returncode != 0:
            errors.append(f"migration {d}: {node.redact(r.stderr.strip())[:200]}")
            return job_result
        applied += 1
    r = pg.exec("postgresql", ["psql", uri, "-tAc",
                               "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'LiteLLM_%'"], timeout=30)
    tables = r.stdout.strip()
    if not tables.isdigit() or int(tables) == 0:
        errors.append(f"no LiteLLM tables after the migrations: {node.redact(r.stderr.strip())[:200]}")
    return f"migrations: {job_result}; {applied} migration.sql of litellm-proxy-extras applied ({tables} LiteLLM_ tables)"


EXTERNAL_HOST, EXTERNAL_IP = "fake-openai.podrun.test", "127.0.0.250"


def start_external_provider(node, m):
    """The external provider of overlays/model.yaml, when the gateway's config names it: the fake
    OpenAI server on its own loopback address, its API key from the Secret the overlay names."""
    cfg = m.get("ConfigMap", f"{RELEASE}-litellm-config")
    if cfg is None or EXTERNAL_HOST not in json.dumps(cfg.get("data")):
        return None
    node.addr[EXTERNAL_HOST] = EXTERNAL_IP
    node.write_hosts()
    key = secret(m, "fake-openai-key", "api-key")
    logf = open(os.path.join(node.work, "external-provider.log"), "ab")
    p = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_openai.py"),
                          "--served-model-name", "podrun-model", "--host", EXTERNAL_IP, "--port", "8000",
                          "--api-key", key], stdout=logf, stderr=subprocess.STDOUT)
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://{EXTERNAL_IP}:8000/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return p


# ---- Open WebUI ------------------------------------------------------------------------------------


def open_webui_scenario(node, check, args):
    m = node.manifests
    dep = f"{RELEASE}-open-webui"
    w = m.get("Deployment", dep)
    if w is None:
        raise Skip("not rendered")
    deps = [(k, n) for k, n in (("StatefulSet", f"{RELEASE}-postgresql"), ("StatefulSet", f"{RELEASE}-redis"),
                                ("Deployment", f"{RELEASE}-litellm")) if m.get(k, n) is not None]
    deps += [("Deployment", d["metadata"]["name"]) for d in m.of_kind("Deployment")
             if (d["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == "model-server"]
    node.drop_env["litellm"] = ["DATABASE_URL"]  # as in the LiteLLM scenario (Prisma engines)
    node.extra.append(start_external_provider(node, m))
    t0 = time.time()
    res = start_all_or_report(node, check, deps + [("Deployment", dep)], args.timeout)
    if res is None:
        return None
    check.row.update(started="ok", probes="ok", detail=f"Ready in {time.time() - t0:.1f}s")
    ui = res[f"Deployment/{dep}"][0]
    port = ui.specs["open-webui"][1]["ports"].get("http", 8080)
    base = f"http://{ui.ip}:{port}"
    env = ui.specs["open-webui"][1]["env"]
    steps, errors = [], []
    # its database: the chart creates one for it in PostgreSQL
    pg = res.get(f"StatefulSet/{RELEASE}-postgresql")
    if pg and any(sec["metadata"]["name"].endswith("-openwebui") for sec in consumer_secrets(m)):
        if not env.get("DATABASE_URL", "").startswith("postgres"):
            errors.append("Open WebUI is given no DATABASE_URL: it keeps its data in SQLite under DATA_DIR, not "
                          "in the PostgreSQL database the chart creates for it")
        else:
            steps.append("its tables in PostgreSQL")
    steps.append(f"vector store {env.get('VECTOR_DB', 'chroma (default, in DATA_DIR)')}")
    # first run: the first account becomes the admin (with WEBUI_AUTH), then the models
    headers = {}
    if env.get("WEBUI_AUTH", "True").lower() != "false":
        code, body, _ = http("POST", base + "/api/v1/auths/signup",
                             {"name": "Admin", "email": "admin@example.com", "password": "podrun-Passw0rd"})
        if code != 200:
            raise AssertionError(f"first sign-up: {code} {body[:200]}")
        headers = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        steps.append("first sign-up is the admin")
    else:  # without login the UI signs in as the admin Open WebUI creates (admin@localhost)
        code, body, _ = http("POST", base + "/api/v1/auths/signin", {"email": "", "password": ""})
        if code != 200:
            raise AssertionError(f"sign-in without login (WEBUI_AUTH=False): {code} {body[:200]}")
        headers = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        steps.append("no login (its automatic admin)")
    code, body, _ = http("GET", base + "/api/models", headers=headers)
    models = [x["id"] for x in json.loads(body).get("data", [])] if code == 200 else []
    cfg = m.get("ConfigMap", f"{RELEASE}-litellm-config")
    configured = sorted({x["model_name"] for x in
                         ((yaml.safe_load(cfg["data"]["config.yaml"]) or {}).get("model_list") or [])} if cfg else [])
    if not models and configured:
        errors.append(f"the gateway has models, Open WebUI shows none (/api/models: {code})")
    elif sorted(models) != configured:
        # each of the gateway's models once, and nothing else (no arena model, no second connection)
        errors.append(f"Open WebUI lists {sorted(models)}, the gateway serves {configured}")
    elif not models:
        steps.append("no model: the profile configures none (NOTES.txt says how to add one; prod+model covers chat)")
    else:
        steps.append(f"{len(models)} model(s) on first run")
        req = {"model": models[0], "messages": [{"role": "user", "content": "hello from open webui"}], "stream": False}
        code, body, _ = http("POST", base + "/api/chat/completions", req, headers)
        if code != 200 or "fake-vllm says: hello from open webui" not in body:
            errors.append(f"chat Open WebUI -> gateway -> model server: {code} {body[:200]}")
        else:
            steps.append(f"chat {models[0]}: Open WebUI -> gateway -> model server")
    if errors:
        raise AssertionError("; ".join(errors))
    return ", ".join(steps)


# ---- R2R (PostgreSQL with pgvector; LLM and embeddings through the gateway) ---------------------


def form(url, fields, timeout=120):
    """POST multipart/form-data (R2R's document upload)."""
    b = "podrun-boundary-7c1"
    body = "".join(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields.items()) + f"--{b}--\r\n"
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={b}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


R2R_EXTENSIONS = ["uuid-ossp", "vector", "pg_trgm", "fuzzystrmatch"]


def r2r_scenario(node, check, args):
    m = node.manifests
    dep = f"{RELEASE}-r2r"
    if m.get("Deployment", dep) is None:
        raise Skip("not rendered")
    deps = [(k, n) for k, n in (("StatefulSet", f"{RELEASE}-postgresql"), ("StatefulSet", f"{RELEASE}-redis"),
                                ("Deployment", f"{RELEASE}-litellm")) if m.get(k, n) is not None]
    try:
        node.images.lookup(m.pod_template("Deployment", dep)[1]["containers"][0]["image"])
    except LookupError as e:  # the reason tools/apps.sh kept, else the image table's
        miss = os.path.join(os.environ.get("STACKCHECK_APPS", "/nonexistent"), "r2r.missing")
        why = open(miss).readline().strip() if os.path.isfile(miss) else str(e)
        raise Skip(f"program not installed here: {why[:250]}")
    # R2R's start creates the extensions it uses as its own role (core/providers/database/postgres.py):
    # vector (the chart's bootstrap creates it as the admin: not trusted) and uuid-ossp, pg_trgm,
    # fuzzystrmatch (trusted: the database's owner may). The image's PostgreSQL has them (contrib);
    # the tier's PostgreSQL 16 build must too, else R2R exits at start.
    ext_dir = os.path.join(os.environ.get("POSTGRES_BIN", "/nonexistent"), "..", "share", "postgresql", "extension")
    lacking = [e for e in R2R_EXTENSIONS if not os.path.isfile(os.path.join(ext_dir, f"{e}.control"))]
    if lacking:
        raise Skip(f"R2R 3.5.14 is installed, but at start it creates the extensions {', '.join(R2R_EXTENSIONS)} "
                   f"and the tier's PostgreSQL 16 (tools/apps.sh: PyPI pgserver, only plpgsql and vector) lacks "
                   f"{', '.join(lacking)} (contrib; the chart's image has them): R2R would exit at start")
    node.drop_env["litellm"] = ["DATABASE_URL"]  # as in the LiteLLM scenario (Prisma engines)
    node.extra.append(start_external_provider(node, m))
    t0 = time.time()
    res = start_all_or_report(node, check, deps + [("Deployment", dep)], args.timeout)
    if res is None:
        return None
    check.row.update(started="ok", probes="ok", detail=f"Ready in {time.time() - t0:.1f}s (/v3/health)")
    pod = res[f"Deployment/{dep}"][0]
    base = f"http://{pod.ip}:{pod.specs['r2r'][1]['ports'].get('http', 7272)}"
    env = pod.specs["r2r"][1]["env"]
    steps = [f"vectors in PostgreSQL {env.get('R2R_POSTGRES_DBNAME')} (pgvector)",
             "no Qdrant or Redis settings" if not any(k.startswith(("R2R_QDRANT", "REDIS")) for k in env)
             else "STILL HANDED QDRANT/REDIS SETTINGS"]
    text = "The llm-stack chart runs R2R with its vectors in PostgreSQL; podrun wrote this sentence."
    code, body = form(base + "/v3/documents", {"raw_text": text, "ingestion_mode": "fast"})
    if code not in (200, 202):
        raise AssertionError(f"ingest: {code} {body[:300]}")
    doc = json.loads(body)["results"]["document_id"]
    status, deadline = "", time.time() + 120
    while time.time() < deadline:
        c, b, _ = http("GET", f"{base}/v3/documents/{doc}")
        status = json.loads(b).get("results", {}).get("ingestion_status", "") if c == 200 else f"HTTP {c}"
        if status in ("success", "failed"):
            break
        time.sleep(1)
    if status != "success":
        raise AssertionError(f"ingestion of document {doc}: {status}")
    steps.append("a document ingested (chunks embedded through the gateway)")
    c, b, _ = http("POST", f"{base}/v3/retrieval/search", {"query": "Where does R2R keep its vectors?",
                                                          "search_settings": {"limit": 3}})
    hits = (json.loads(b).get("results", {}).get("chunk_search_results") or []) if c == 200 else []
    if not any("podrun wrote this sentence" in (h.get("text") or "") for h in hits):
        raise AssertionError(f"retrieval: the ingested text is not among {len(hits)} hit(s): {c} {b[:300]}")
    steps.append(f"retrieved ({len(hits)} chunk hit(s))")
    return ", ".join(steps)


# ---- Qdrant (its rendered config, checked against Qdrant's documented keys) ------------------------


def qdrant_scenario(node, check, args):
    """Qdrant has no package-registry build: its rendered pod is checked against the configuration
    Qdrant documents (qdrant-config-keys.yaml: keys, env override form, workdir, health paths)
    instead of started: every QDRANT__ variable names a documented key, the ports it listens on
    are the container's and the Service's, probes use its health endpoints, the paths it writes
    are writable volumes under a read-only root, and every consumer's QDRANT_URI reaches it."""
    m = node.manifests
    dep = f"{RELEASE}-qdrant"
    w = m.get("Deployment", dep)
    if w is None:
        raise Skip("not rendered")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "qdrant-config-keys.yaml")) as f:
        doc = yaml.safe_load(f)
    keys, pre, sep = set(doc["keys"]), doc["envPrefix"], doc["envSeparator"]
    check.row.update(started="skip", probes="skip")
    spec = w["spec"]["template"]["spec"]
    c = spec["containers"][0]
    errors, steps = [], []
    cfg = {}
    for e in c.get("env") or []:
        if e["name"].startswith(pre):
            key = e["name"][len(pre):].lower().replace(sep, ".")
            if key not in keys:
                errors.append(f"{e['name']}: no such key ({key}) in Qdrant {doc['version']}'s config")
            cfg[key] = e.get("value")
    steps.append(f"{len(cfg)} QDRANT__ setting(s), all documented keys" if not errors else "")
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
    for key, name, default in (("service.http_port", "http", 6333), ("service.grpc_port", "grpc", 6334)):
        listens = int(cfg.get(key) or default)
        if ports.get(name) != listens:
            errors.append(f"Qdrant listens on {key}={listens}, the container port {name} is {ports.get(name)}")
    http_port = int(cfg.get("service.http_port") or 6333)
    svc = m.get("Service", dep)
    sports = {p.get("name"): p for p in (svc or {}).get("spec", {}).get("ports") or []}
    tp = (sports.get("http") or {}).get("targetPort")
    if svc is None or (tp not in ("http", http_port)):
        errors.append(f"Service {dep} does not target the HTTP port {http_port} ({tp})")
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        g = (c.get(kind) or {}).get("httpGet")
        if g and (g.get("path") not in doc["healthPaths"] or g.get("port") not in ("http", http_port)):
            errors.append(f"{kind} {g.get('path')} on {g.get('port')}: not a Qdrant health endpoint on its HTTP port")
    ro = (c.get("securityContext") or {}).get("readOnlyRootFilesystem")
    mounts = [v["mountPath"].rstrip("/") for v in c.get("volumeMounts") or []]
    for key, default in doc["writablePaths"].items():
        path = os.path.normpath(os.path.join(doc["workdir"], cfg.get(key) or default))
        if ro and not any(path == mp or path.startswith(mp + "/") for mp in mounts):
            errors.append(f"{key} is {path}: not on a volume, and the root filesystem is read-only")
    steps.append(f"ports {ports.get('http')}/{ports.get('grpc')}, probes on /readyz and /livez, storage and "
                 f"snapshots on volumes")
    host = f"{dep}:{(sports.get('http') or {}).get('port')}"
    users = []
    for d in m.docs:
        if d["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for ctr in d["spec"]["template"]["spec"].get("containers") or []:
            for e in ctr.get("env") or []:
                if e["name"] == "QDRANT_URI":
                    users.append(d["metadata"]["name"].removeprefix(RELEASE + "-"))
                    if e.get("value") != f"http://{host}":
                        errors.append(f"{d['metadata']['name']}: QDRANT_URI {e.get('value')} is not http://{host}")
    steps.append(f"consumers: {', '.join(users)} (QDRANT_URI http://{host})" if users else
                 "no consumer in this profile")
    check.row["detail"] = (f"not started: no package-registry build of Qdrant; rendered config checked against "
                           f"Qdrant {doc['version']}'s documented keys ({doc['source']})")
    if errors:
        raise AssertionError("; ".join(errors))
    check.row["scenario"] = "ok"
    return "; ".join(x for x in steps if x)


# component -> (scenario, the app.kubernetes.io/name labels of the workloads it runs)
SCENARIOS = [
    ("redis", redis_scenario, ["redis"]),
    ("postgresql", postgresql_scenario, ["postgresql"]),
    ("litellm", litellm_scenario, ["litellm", "litellm-migrations"]),
    ("open-webui", open_webui_scenario, ["open-webui"]),
    ("qdrant", qdrant_scenario, ["qdrant"]),
    ("r2r", r2r_scenario, ["r2r"]),
]
# why a component has no scenario yet (the row's skip reason)
WHY_NOT = {
    "postgresql-replica": "a replica listens on the primary's port: one network namespace holds one of them",
    "postgresql-backup": "scenario not written yet (pg_dump CronJob)",
}
NOT_YET = {
    "postgresql-replica": ["postgresql-replica"],  # same port as the primary in one network namespace
    "postgresql-backup": ["postgresql-backup"],
}


def workloads_by_name(m):
    out = {}
    for d in m.docs:
        if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"):
            n = (d["metadata"].get("labels") or {}).get("app.kubernetes.io/name", d["metadata"]["name"])
            out.setdefault(n, []).append(d)
    return out


def other_rows(m, images, claimed, profile, out):
    """Rows for what no scenario runs: not written yet, or no program stands for the image."""
    by = workloads_by_name(m)
    for comp, names in NOT_YET.items():
        if any(n in by for n in names):
            c = Check(profile, comp)
            detail = WHY_NOT.get(comp, "scenario not written yet")
            miss = os.path.join(os.environ.get("STACKCHECK_APPS", "/nonexistent"), f"{comp}.missing")
            if os.path.isfile(miss):
                with open(miss) as f:
                    detail = f"program not installed here: {f.readline().strip()[:200]}"
            c.row.update(started="skip", probes="skip", scenario="skip", detail=detail)
            c.done(out)
            claimed.update(names)
    for name, ws in sorted(by.items()):
        if name in claimed or name.startswith("vllm-"):
            continue
        reason = "no scenario"
        for w in ws:
            _, spec, _, _ = m.pod_template(w["kind"], w["metadata"]["name"])
            for ctr in spec.get("containers") or []:
                try:
                    images.lookup(ctr["image"])
                except LookupError as e:
                    reason = f"{e} (no registry package)"
        c = Check(profile, name)
        c.row.update(started="skip", probes="skip", scenario="skip", detail=reason)
        c.done(out)
    if any(n.startswith("vllm-") and n not in claimed for n in by):
        c = Check(profile, "vllm")
        c.row.update(started="skip", probes="skip", scenario="skip",
                     detail="model servers need GPUs: the fake OpenAI server stands in (scenario not written yet)")
        c.done(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("-f", "--manifests", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--only", default="", help="comma-separated components")
    args = ap.parse_args()
    podrun.exit_on_signals()
    # what the user creates before the install (existing Secrets), then what the chart renders
    m = podrun.Manifests.load([os.path.join(os.path.dirname(os.path.abspath(__file__)), "existing-objects.yaml"),
                               args.manifests])
    only = [c for c in args.only.split(",") if c]
    with open(args.results, "a") as out:
        claimed = set()
        for comp, fn, names in SCENARIOS:
            claimed.update(names)
            if only and comp not in only:
                continue
            node = podrun.Node(m, podrun.Images(args.images, os.path.join(args.work, "images-cache")),
                               os.path.join(args.work, comp))
            node.extra = []  # processes a scenario starts beside the pods (stopped after it)
            node.side_rows = []  # rows of workloads a scenario ran beside its own (the model servers)
            check = Check(args.profile, comp)
            try:
                detail = fn(node, check, args)
                if check.row["probes"] == "ok" and check.row["scenario"] == "-":
                    check.row["scenario"] = "ok"
                    check.row["detail"] += f"; {detail}" if detail else ""
                elif check.row["scenario"] == "ok" and detail:  # checked, not started (Qdrant)
                    check.row["detail"] += f"; {detail}"
            except Skip as e:
                check.row.update(started="skip", probes="skip", scenario="skip", detail=str(e))
                if str(e) == "not rendered":
                    node.stop_all()
                    continue
            except AssertionError as e:
                check.row["scenario"] = "FAIL"
                check.row["detail"] = node.redact(str(e)).split("\n")[0][:300]
                print("    " + node.redact(str(e)).replace("\n", "\n    "), flush=True)
            except Exception as e:  # noqa: BLE001 (a broken scenario is a failed row, with its trace)
                check.row["scenario"] = "FAIL"
                check.row["detail"] = node.redact(f"{type(e).__name__}: {e}").split("\n")[0][:300]
                print(node.redact(traceback.format_exc()), flush=True)
            finally:
                node.stop_all()
                for p in node.extra:
                    if p is not None:
                        p.terminate()
                        p.wait()
            check.done(out)
            for side in node.side_rows:
                c = Check(args.profile, side["component"])
                c.row.update(started=side["started"], probes=side["probes"],
                             scenario=side.get("scenario", "-"), detail=side["detail"])
                claimed.add(side["component"])
                c.done(out)
        if not only:
            other_rows(m, podrun.Images(args.images, os.path.join(args.work, "images-cache")), claimed,
                       args.profile, out)


if __name__ == "__main__":
    main()
