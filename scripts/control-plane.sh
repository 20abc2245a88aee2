#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1 for the end-to-end tests (test tier 4): etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler of the pinned release, and kwok playing
# the kubelets of fake nodes. No containers, no root, nothing but loopback.
#
#   scripts/control-plane.sh start DIR   start everything, state in DIR (created; wiped first);
#                                        prints KUBECONFIG=DIR/admin.kubeconfig once the API server
#                                        is healthy, the scheduler and controller-manager lead, and
#                                        the fixture nodes are Ready (or NotReady, as written); a
#                                        failed start is retried once (`start-once`: no retry)
#   scripts/control-plane.sh stop DIR    stop everything started in DIR (safe to repeat)
#   scripts/control-plane.sh env DIR     print `export` lines: KUBECONFIG (admin),
#                                        STACKCHECK_CP_READER_KUBECONFIG (reads nodes only),
#                                        STACKCHECK_CP_DIR, STACKCHECK_CP_SERVER
#   scripts/control-plane.sh status DIR  exit 0 when every component started in DIR still runs
#
# STACKCHECK_CP_BARE=1 start: no fixture nodes, system pods or StorageClass (an empty cluster, for
# tests that bring their own: scripts/test.d/42-agreement.sh).
#
# What it sets up:
# - certificates made on the fly with openssl (a CA, the API server's serving certificate, client
#   certificates for each component and two users) and a service-account signing key;
# - kube-apiserver with the Node and RBAC authorizers and admission incl. PodSecurity and
#   NodeRestriction; kube-controller-manager (per-controller service accounts, CSR signing) and
#   kube-scheduler with leader election, each through its own kubeconfig;
# - kubeconfigs: DIR/admin.kubeconfig (system:masters) and DIR/reader.kubeconfig (user
#   stackcheck-reader: get/list/watch on nodes and nothing else);
# - the CRDs of ../shared/crds/ (beside the repository), Established;
# - a ValidatingAdmissionPolicy refusing webhooks, aggregated APIs and conversion webhooks that
#   would make the API server dial a made-up service or pod IP (tests/fixtures/control-plane/
#   loopback-only.yaml): nothing here sends a packet beyond 127.0.0.1;
# - the nodes of tests/fixtures/control-plane/nodes/*.yaml, managed by kwok (stages: kwok's
#   defaults plus tests/fixtures/control-plane/kwok-stages.yaml);
# - system pods every cluster has (tests/fixtures/control-plane/system.yaml: a node agent
#   DaemonSet, two DNS replicas), running, so the nodes are not empty;
# - a default StorageClass `kwok-volume` whose claims kwok provisions and binds
#   (tests/fixtures/control-plane/storage.yaml).
#
# Binaries: KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, KUBECTL, ETCD, KWOK and
# KWOK_STAGES from the environment, else from `tools/tools.sh control-plane` (built once, cached).
# Ports are picked free at start. Logs: DIR/logs/*.log. If start fails half-way it stops what it
# started and shows the logs' tails. Needs: openssl, curl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$root/tests/fixtures/control-plane"
crds="$root/../shared/crds"
# Order of start; stop goes backwards.
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { echo "control-plane: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { echo "usage: scripts/control-plane.sh start|stop|env|status DIR" >&2; exit 2; }

(($# == 2)) || usage
cmd="$1"
dir="$2"
[[ -n "$dir" ]] || usage
if [[ "$cmd" == start || "$cmd" == start-once ]]; then mkdir -p "$dir"; fi
if [[ ! -d "$dir" ]]; then
  [[ "$cmd" == stop ]] && exit 0
  die "no control plane in $dir"
fi
# Absolute, so kubeconfigs and pid checks work from anywhere.
dir="$(cd "$dir" && pwd)"

# ---- processes ---------------------------------------------------------------------------------

# ours PID: PID runs and is one of ours: its command line names DIR (every component is started
# with a path inside DIR). An exited process (zombie included: its command line is empty) or a
# reused pid is not.
ours() {
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$dir/"
}

# pid_of NAME: the pid recorded for NAME if that process is still ours, else nothing.
pid_of() {
  local f="$dir/pids/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if ours "$pid"; then echo "$pid"; fi
}

# stop_all: SIGTERM to every component (reverse order), then SIGKILL after 20 s; waits until they
# are gone. Never touches a process whose command line does not name DIR.
stop_all() {
  local i name pid pids=() deadline
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    name="${components[i]}"
    pid="$(pid_of "$name")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while ours "$pid"; do
      if ((SECONDS >= deadline)); then
        log "pid $pid did not stop within 20s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.2
    done
  done
  rm -f "$dir"/pids/*.pid
  ((${#pids[@]} == 0)) || log "stopped ${#pids[@]} process(es) in $dir"
}

# launch NAME CMD...: start a component in the background, its output in DIR/logs/NAME.log, its
# pid in DIR/pids/NAME.pid. No inherited descriptors but the log (fd 9 may hold a tools lock).
# Returns once the child has exec'd CMD: until then its command line is this script's, which
# `ours` does not recognise, so a check right after a fork on a loaded machine took a starting
# component for a dead one (etcd "exited" with an empty log).
launch() {
  local name="$1" pid deadline
  shift
  "$@" </dev/null >"$dir/logs/$name.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$dir/pids/$name.pid"
  deadline=$((SECONDS + 30))
  while not_yet_execd "$pid" && ((SECONDS < deadline)); do
    sleep 0.05
  done
}

# not_yet_execd PID: PID runs (not a zombie) and its command line is not yet one of ours.
not_yet_execd() {
  local state
  state="$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]] && ! ours "$1"
}

# alive NAME: die with the log's tail and the way NAME ended (exit status or signal, from `wait`:
# every component is a child of this shell) when NAME has exited.
alive() {
  [[ -n "$(pid_of "$1")" ]] && return 0
  local pid status=0 how
  pid="$(cat "$dir/pids/$1.pid" 2>/dev/null || true)"
  how="ended"
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    wait "$pid" 2>/dev/null || status=$?
    if ((status > 128 && status < 128 + 65)); then
      how="was killed by signal $(kill -l "$((status - 128))" 2>/dev/null || echo "$((status - 128))")"
    elif ((status != 127)); then
      how="exited with status $status"
    fi
  fi
  log "$1 $how; the end of $dir/logs/$1.log:"
  tail -n 30 "$dir/logs/$1.log" >&2 || true
  return 1
}

# wait_for DESCRIPTION TIMEOUT_S COMPONENT CMD...: run CMD every 0.5 s until it succeeds; fail when
# COMPONENT dies or the time is up.
wait_for() {
  local what="$1" timeout="$2" comp="$3" deadline
  shift 3
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    alive "$comp" || die "$what: $comp is not running"
    ((SECONDS < deadline)) || die "$what: not after ${timeout}s"
    sleep 0.5
  done
}

# ---- ports -------------------------------------------------------------------------------------

picked=" "
# Set by start (free_port).
etcd_client="" etcd_peer="" api_port="" kcm_port="" sched_port=""
# free_port VAR: set VAR to a port in 20000-32767 (below Linux's ephemeral range) that nothing
# listens on and that this run has not picked yet. Another program may still take it before we
# bind; then that component fails to start and start says so.
free_port() {
  local port tries=0
  while ((tries++ < 200)); do
    port=$((20000 + RANDOM % 12768))
    [[ "$picked" == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      picked+="$port "
      printf -v "$1" '%s' "$port"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

# ---- certificates ------------------------------------------------------------------------------

pki="$dir/pki"

# key FILE: a new P-256 key (PKCS#8).
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# cert NAME SUBJECT PROFILE [SAN]: $pki/NAME.key and NAME.crt signed by the CA, valid 7 days.
cert() {
  local name="$1" subject="$2" profile="$3" san="${4:-DNS:unused}"
  key "$pki/$name.key"
  openssl req -new -config "$pki/openssl.cnf" -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr"
  SAN="$san" openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 7 -extfile "$pki/openssl.cnf" -extensions "$profile" \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr"
}

make_pki() {
  mkdir -p "$pki"
  # openssl.cnf names ${ENV::SAN}: every command that reads it needs the variable.
  export SAN=DNS:unused
  cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = ${ENV::SAN}
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF
  key "$pki/ca.key"
  openssl req -new -x509 -config "$pki/openssl.cnf" -key "$pki/ca.key" \
    -subj "/CN=stackcheck-test-ca" -days 7 -extensions ca -out "$pki/ca.crt"
  # The API server: reached as 127.0.0.1/localhost here, and by its in-cluster names.
  cert kube-apiserver "/CN=kube-apiserver" server \
    "IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin "/O=system:masters/CN=stackcheck-admin" client
  cert reader "/CN=stackcheck-reader" client
  cert kube-controller-manager "/CN=system:kube-controller-manager" client
  cert kube-scheduler "/CN=system:kube-scheduler" client
  # kwok plays every node's kubelet with one identity (no system:node:NAME certificate per node).
  cert kwok "/O=system:masters/CN=kwok" client
  key "$pki/service-account.key"
  openssl pkey -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
}

# kubeconfig NAME USER: DIR/NAME.kubeconfig for USER's client certificate, credentials embedded.
kubeconfig() {
  local name="$1" user="$2"
  cat >"$dir/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: stackcheck-test
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
  - name: $user
    user:
      client-certificate-data: $(base64 -w0 <"$pki/$user.crt")
      client-key-data: $(base64 -w0 <"$pki/$user.key")
contexts:
  - name: $name
    context:
      cluster: stackcheck-test
      user: $user
current-context: $name
EOF
  chmod 600 "$dir/$name.kubeconfig"
}

# ---- API helpers -------------------------------------------------------------------------------

# api PATH [USER]: GET on the API server with USER's client certificate (default admin).
api() {
  local user="${2:-admin}"
  curl -sS --fail --max-time 10 --noproxy '*' --cacert "$pki/ca.crt" --cert "$pki/$user.crt" --key "$pki/$user.key" \
    "https://127.0.0.1:$api_port$1"
}

kc() { "$KUBECTL" --kubeconfig "$dir/admin.kubeconfig" --request-timeout 30s "$@"; }

# ---- commands ----------------------------------------------------------------------------------

need_tools() {
  local v missing=false
  for v in KUBE_APISERVER KUBE_CONTROLLER_MANAGER KUBE_SCHEDULER KUBECTL ETCD KWOK KWOK_STAGES; do
    [[ -n "${!v:-}" && -e "${!v}" ]] || missing=true
  done
  if $missing; then
    local env
    env="$("$root/tools/tools.sh" control-plane)" || die "tools/tools.sh control-plane failed"
    eval "$env"
  fi
  command -v openssl >/dev/null || die "openssl is required (Debian: apt-get install openssl)"
  command -v curl >/dev/null || die "curl is required (Debian: apt-get install curl)"
  [[ -d "$crds" ]] || die "no CRDs at $crds (../shared/crds beside the repository)"
}

start() {
  need_tools
  local name
  for name in "${components[@]}"; do
    [[ -z "$(pid_of "$name")" ]] || die "$name is already running in $dir: run stop first"
  done
  rm -rf "$dir/pki" "$dir/etcd" "$dir/logs" "$dir/pids" "$dir/kwok" "$dir"/*.kubeconfig "$dir/env"
  mkdir -p "$dir/logs" "$dir/pids" "$dir/kwok"
  # From here on, a failure stops whatever was started.
  trap 'status=$?; if ((status != 0)); then log "start failed: stopping what was started"; stop_all; fi' EXIT
  local t0=$SECONDS

  free_port etcd_client
  free_port etcd_peer
  free_port api_port
  free_port kcm_port
  free_port sched_port

  make_pki
  kubeconfig admin admin
  kubeconfig reader reader
  kubeconfig kube-controller-manager kube-controller-manager
  kubeconfig kube-scheduler kube-scheduler
  kubeconfig kwok kwok

  launch etcd "$ETCD" --data-dir "$dir/etcd" --client-port "$etcd_client" --peer-port "$etcd_peer"
  wait_for "etcd ready" 60 etcd grep -qx ready "$dir/logs/etcd.log"

  # The requestheader flags only let the controller-manager's and scheduler's delegated
  # authentication find the CA they look up (else they log errors); no certificate for
  # front-proxy-client is ever issued, so no client can assert an identity through headers.
  launch kube-apiserver "$KUBE_APISERVER" \
    --etcd-servers "http://127.0.0.1:$etcd_client" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$pki/kube-apiserver-generated" \
    --tls-cert-file "$pki/kube-apiserver.crt" --tls-private-key-file "$pki/kube-apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --requestheader-client-ca-file "$pki/ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/service-account.pub" \
    --service-account-signing-key-file "$pki/service-account.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction,PodSecurity \
    --endpoint-reconciler-type none \
    --allow-privileged=true \
    --profiling=false \
    --v=1
  wait_for "kube-apiserver /readyz" 120 kube-apiserver api /readyz

  # Before anything else can create webhooks: keep the server's own traffic on loopback.
  kc apply --server-side -f "$fixtures/loopback-only.yaml" >/dev/null
  kc apply --server-side -f "$fixtures/rbac.yaml" >/dev/null
  kc apply --server-side -f "$crds/" >/dev/null

  launch kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
    --kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$pki/kube-controller-manager-generated" \
    --service-account-private-key-file "$pki/service-account.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --profiling=false \
    --v=1
  launch kube-scheduler "$KUBE_SCHEDULER" \
    --kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" --cert-dir "$pki/kube-scheduler-generated" \
    --profiling=false \
    --v=1
  # kwok: its default stages plus ours; HOME inside DIR so no ~/.kwok/kwok.yaml is read.
  { cat "$KWOK_STAGES"; echo "---"; cat "$fixtures/kwok-stages.yaml"; } >"$dir/kwok/kwok.yaml"
  launch kwok env HOME="$dir/kwok" "$KWOK" \
    --kubeconfig "$dir/kwok.kubeconfig" --config "$dir/kwok/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --cidr 10.244.0.0/16 --node-lease-duration-seconds 40

  wait_for "CRDs Established" 60 kube-apiserver \
    kc wait --for condition=Established --timeout 5s -f "$crds/"
  wait_for "kube-controller-manager /healthz" 60 kube-controller-manager \
    curl -sSf --max-time 5 --noproxy '*' -k "https://127.0.0.1:$kcm_port/healthz"
  wait_for "kube-scheduler /healthz" 60 kube-scheduler \
    curl -sSf --max-time 5 --noproxy '*' -k "https://127.0.0.1:$sched_port/healthz"
  # Leading means their controllers and scheduling loop run.
  wait_for "kube-controller-manager leader lease" 60 kube-controller-manager \
    api /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager
  wait_for "kube-scheduler leader lease" 60 kube-scheduler \
    api /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler
  # Pods need their namespace's default ServiceAccount (made by the controller-manager).
  wait_for "ServiceAccount default/default" 60 kube-controller-manager \
    api /api/v1/namespaces/default/serviceaccounts/default

  local f node ready=() notready=() cordoned=() bare=false
  [[ "${STACKCHECK_CP_BARE:-}" == 1 ]] && bare=true
  # Nodes: created with their status (allocatable, capacity) as a kubelet registers them; kwok
  # takes them over. `create`, not `apply`: apply would drop the status of a new Node.
  $bare || kc create -f "$fixtures/nodes/" >/dev/null
  for f in "$fixtures"/nodes/*.yaml; do
    $bare && break
    node="$(sed -n 's/^  name: //p' "$f" | head -n1)"
    if grep -q 'stackcheck.test/kwok-stage: not-ready' "$f"; then notready+=("$node"); else ready+=("$node"); fi
    if grep -q 'unschedulable: true' "$f"; then cordoned+=("$node"); fi
  done
  for node in "${ready[@]}"; do
    wait_for "node $node Ready" 60 kwok node_has "$node" '{.status.conditions[?(@.type=="Ready")].status}' True
  done
  # What the node lifecycle controller adds, so the cluster is settled before tests read it.
  for node in "${notready[@]}"; do
    wait_for "node $node tainted not-ready" 90 kube-controller-manager \
      node_has "$node" '{.spec.taints[*].key}' node.kubernetes.io/not-ready
  done
  for node in "${cordoned[@]}"; do
    wait_for "node $node tainted unschedulable" 90 kube-controller-manager \
      node_has "$node" '{.spec.taints[*].key}' node.kubernetes.io/unschedulable
  done
  # System pods (tests/fixtures/control-plane/system.yaml), so nodes are not empty: placed by the
  # scheduler and the DaemonSet controller, run by kwok.
  if ! $bare; then
    kc apply --server-side -f "$fixtures/storage.yaml" -f "$fixtures/system.yaml" >/dev/null
    for name in daemonset/node-agent deployment/coredns; do
      wait_for "$name running" 90 kube-scheduler kc -n kube-system rollout status "$name" --timeout 5s
    done
  fi
  for name in "${components[@]}"; do alive "$name" || die "$name died during start"; done

  write_env
  trap - EXIT
  log "up in $((SECONDS - t0))s: API server https://127.0.0.1:$api_port, ${#ready[@]} Ready + ${#notready[@]} NotReady kwok node(s), logs in $dir/logs"
  echo "KUBECONFIG=$dir/admin.kubeconfig"
}

# node_has NODE JSONPATH WORD: NODE's JSONPATH output contains WORD (space-separated).
node_has() {
  local out
  out="$(kc get node "$1" -o "jsonpath=$2")" || return 1
  [[ " $out " == *" $3 "* ]]
}

write_env() {
  {
    printf 'export KUBECONFIG=%q\n' "$dir/admin.kubeconfig"
    printf 'export STACKCHECK_CP_READER_KUBECONFIG=%q\n' "$dir/reader.kubeconfig"
    printf 'export STACKCHECK_CP_DIR=%q\n' "$dir"
    printf 'export STACKCHECK_CP_SERVER=%q\n' "https://127.0.0.1:$api_port"
  } >"$dir/env"
}

case "$cmd" in
  start)
    # One retry, in a fresh process (errexit stays in force there): a start that failed on a
    # loaded machine has stopped what it started and shown why; the second attempt wipes DIR.
    if ! "${BASH_SOURCE[0]}" start-once "$dir"; then
      log "start failed; retrying once"
      "${BASH_SOURCE[0]}" start-once "$dir"
    fi
    ;;
  start-once) start ;;
  stop) stop_all ;;
  env)
    [[ -f "$dir/env" ]] || die "no control plane was started in $dir"
    cat "$dir/env"
    ;;
  status)
    for name in "${components[@]}"; do
      [[ -n "$(pid_of "$name")" ]] || { log "$name is not running"; exit 1; }
    done
    ;;
  *) usage ;;
esac
