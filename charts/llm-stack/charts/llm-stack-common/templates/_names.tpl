{{/*
Names and labels. Every helper takes a dict: ctx (the chart's root context) and name (the
component name, e.g. "litellm", "vllm-llama-3-8b", an apps workload key).
*/}}

{{/* Prefix of every object name: global.namePrefix, else the release name. */}}
{{- define "llm-stack-common.prefix" -}}
{{- $g := .Values.global | default dict -}}
{{- $g.namePrefix | default .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name of a component: <prefix>-<name>, at most 63 characters. */}}
{{- define "llm-stack-common.fullname" -}}
{{- printf "%s-%s" (include "llm-stack-common.prefix" .ctx) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* helm.sh/chart value: name-version of the chart that renders the object. */}}
{{- define "llm-stack-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable across upgrades, never the chart version. */}}
{{- define "llm-stack-common.selectorLabels" -}}
app.kubernetes.io/name: {{ .name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{/* All recommended labels, merged with global.commonLabels (the chart's own win: a common label
never changes a selector or duplicates a key). Optional: component. */}}
{{- define "llm-stack-common.labels" -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- $l := include "llm-stack-common.selectorLabels" . | fromYaml -}}
{{- with .component }}{{ $_ := set $l "app.kubernetes.io/component" . }}{{ end -}}
{{- $_ := set $l "app.kubernetes.io/part-of" ($g.partOf | default "llm-stack") -}}
{{- $_ := set $l "app.kubernetes.io/version" (.ctx.Chart.AppVersion | default .ctx.Chart.Version | trunc 63 | toString) -}}
{{- $_ := set $l "app.kubernetes.io/managed-by" .ctx.Release.Service -}}
{{- $_ := set $l "helm.sh/chart" (include "llm-stack-common.chart" .ctx) -}}
{{- toYaml (merge $l ($g.commonLabels | default dict)) -}}
{{- end -}}

{{/*
The contracts between components: every component's host and port, in one place, so a provider
and each of its consumers (env, configs, init waits, probes, tests, NetworkPolicies, NOTES) agree.
Ports are values: global.ports.<name>; the provider listens on it (container and Service port) and
consumers connect to it. dict: ctx, name (postgresql, redis, litellm, vllm, qdrant, qdrant-grpc),
model (vllm: the model name). Returns YAML {host, port}.
*/}}
{{- define "llm-stack-common.endpoint" -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- $defaults := dict "postgresql" 5432 "redis" 6379 "litellm" 4000 "vllm" 8000 "qdrant" 6333 "qdrant-grpc" 6334 -}}
{{- if not (hasKey $defaults .name) -}}
{{- fail (printf "llm-stack-common.endpoint: unknown component %q" .name) -}}
{{- end -}}
{{- $ports := merge (dict) (($g.ports | default dict)) (dict "qdrant-grpc" (($g.ports | default dict).qdrantGrpc | default 6334)) $defaults -}}
{{- $host := "" -}}
{{- if eq .name "vllm" -}}
{{- $host = include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (printf "vllm-%s" (required "llm-stack-common.endpoint: vllm needs a model" .model))) -}}
{{- else -}}
{{- $host = include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (trimSuffix "-grpc" .name)) -}}
{{- end -}}
{{- toYaml (dict "host" $host "port" (int (index $ports .name))) -}}
{{- end -}}

{{/* Port of a component (global.ports): llm-stack-common.endpoint's port. dict: ctx, name. */}}
{{- define "llm-stack-common.port" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" .ctx "name" .name "model" "any") | fromYaml).port -}}
{{- end -}}

{{/* Service of the bundled PostgreSQL primary. */}}
{{- define "llm-stack-common.postgresql.host" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" . "name" "postgresql") | fromYaml).host -}}
{{- end -}}

{{/* Connection Secret of one PostgreSQL consumer (keys: host, port, database, username, password, uri). */}}
{{- define "llm-stack-common.postgresql.secretName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (printf "postgresql-%s" .database)) -}}
{{- end -}}

{{/* Service of the bundled Redis primary. */}}
{{- define "llm-stack-common.redis.host" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" . "name" "redis") | fromYaml).host -}}
{{- end -}}

{{/* Connection Secret of Redis (keys: host, port, password). */}}
{{- define "llm-stack-common.redis.secretName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "redis-connection") -}}
{{- end -}}

{{/* Gateway (LiteLLM) Service name. */}}
{{- define "llm-stack-common.gateway.host" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" . "name" "litellm") | fromYaml).host -}}
{{- end -}}

{{/* Gateway URL as OpenAI-compatible base URL (without /v1). */}}
{{- define "llm-stack-common.gateway.url" -}}
{{- $e := include "llm-stack-common.endpoint" (dict "ctx" . "name" "litellm") | fromYaml -}}
{{- printf "http://%s:%v" $e.host $e.port -}}
{{- end -}}

{{/* Secret holding the gateway keys (master-key, salt-key, ui-password): global.gateway.existingSecret, else generated. */}}
{{- define "llm-stack-common.gateway.secretName" -}}
{{- $g := .Values.global | default dict -}}
{{- $gw := $g.gateway | default dict -}}
{{- $gw.existingSecret | default (include "llm-stack-common.fullname" (dict "ctx" . "name" "litellm-keys")) -}}
{{- end -}}

{{/* Service of one vLLM model server. dict: ctx, model. */}}
{{- define "llm-stack-common.vllm.name" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" .ctx "name" "vllm" "model" .model) | fromYaml).host -}}
{{- end -}}

{{/* Qdrant Service. */}}
{{- define "llm-stack-common.qdrant.host" -}}
{{- (include "llm-stack-common.endpoint" (dict "ctx" . "name" "qdrant") | fromYaml).host -}}
{{- end -}}

{{/* The enabled models of global.models (YAML list). The single source of truth for vLLM and the gateway. */}}
{{- define "llm-stack-common.enabledModels" -}}
{{- $g := .Values.global | default dict -}}
{{- $out := list -}}
{{- range $m := ($g.models | default list) -}}
{{- if or (not (hasKey $m "enabled")) $m.enabled -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $m.name) -}}
{{- fail (printf "global.models: name %q must be a DNS label (lower case, digits, '-')" $m.name) -}}
{{- end -}}
{{- $out = append $out $m -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "models" $out) -}}
{{- end -}}

{{/* Image used by wait-for init containers (needs sh and nc): global.utilityImage. */}}
{{- define "llm-stack-common.utilityImage" -}}
{{- $g := .Values.global | default dict -}}
{{- toYaml ($g.utilityImage | default (dict "registry" "docker.io" "repository" "library/busybox" "tag" "1.37.0")) -}}
{{- end -}}

{{/* Image used by helm test pods (needs sh and curl): global.testImage. */}}
{{- define "llm-stack-common.testImage" -}}
{{- $g := .Values.global | default dict -}}
{{- toYaml ($g.testImage | default (dict "registry" "docker.io" "repository" "curlimages/curl" "tag" "8.11.1")) -}}
{{- end -}}

{{/* Resources of the small helper containers (wait-for init containers): global.helperResources. */}}
{{- define "llm-stack-common.helperResources" -}}
{{- $g := .Values.global | default dict -}}
{{- toYaml ($g.helperResources | default (dict "requests" (dict "cpu" "10m" "memory" "16Mi") "limits" (dict "cpu" "100m" "memory" "64Mi"))) -}}
{{- end -}}

{{/* The user's Secret of PostgreSQL's passwords (global.postgresql.existingSecret), or "". */}}
{{- define "llm-stack-common.postgresql.existingSecret" -}}
{{- $g := .Values.global | default dict -}}
{{- ($g.postgresql | default dict).existingSecret | default "" -}}
{{- end -}}

{{/* The user's Secret of Redis's password (global.redis.existingSecret, key `password`), or "". */}}
{{- define "llm-stack-common.redis.existingSecret" -}}
{{- $g := .Values.global | default dict -}}
{{- ($g.redis | default dict).existingSecret | default "" -}}
{{- end -}}

{{/*
EnvVars for a PostgreSQL consumer, read from its connection Secret (a YAML list, after a newline).
dict: ctx, database, names (dict of key -> env var name; keys: host, port, database, username, password, uri).
With global.postgresql.existingSecret the password is that Secret's `<database>-password` and the
uri is composed by the kubelet from the parts ($(VAR) references; the password must be URL-safe).
*/}}
{{- define "llm-stack-common.postgresql.env" -}}
{{- $secret := include "llm-stack-common.postgresql.secretName" . -}}
{{- $existing := include "llm-stack-common.postgresql.existingSecret" .ctx -}}
{{- $pwRef := dict "name" $existing "key" (printf "%s-password" .database) -}}
{{- $out := list -}}
{{- range $key, $env := .names -}}
{{- if and $existing (eq $key "password") -}}
{{- $out = append $out (dict "name" $env "valueFrom" (dict "secretKeyRef" $pwRef)) -}}
{{- else if not (and $existing (eq $key "uri")) -}}
{{- $out = append $out (dict "name" $env "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $key))) -}}
{{- end -}}
{{- end -}}
{{- if and $existing (hasKey .names "uri") -}}
{{- $p := printf "LLM_STACK_PG_%s_" (.database | upper | replace "-" "_") -}}
{{- range $key := list "username" "host" "port" "database" "query" -}}
{{- $out = append $out (dict "name" (printf "%s%s" $p ($key | upper)) "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $key))) -}}
{{- end -}}
{{- $out = append $out (dict "name" (printf "%sPASSWORD" $p) "valueFrom" (dict "secretKeyRef" $pwRef)) -}}
{{- $out = append $out (dict "name" .names.uri "value" (printf "postgresql://$(%sUSERNAME):$(%sPASSWORD)@$(%sHOST):$(%sPORT)/$(%sDATABASE)$(%sQUERY)" $p $p $p $p $p $p)) -}}
{{- end -}}
{{- printf "\n%s" (toYaml $out) -}}
{{- end -}}

{{/* EnvVars for a Redis consumer (a YAML list, after a newline). dict: ctx, names (keys: host, port,
password); the password comes from global.redis.existingSecret when it is set. */}}
{{- define "llm-stack-common.redis.env" -}}
{{- $secret := include "llm-stack-common.redis.secretName" .ctx -}}
{{- $existing := include "llm-stack-common.redis.existingSecret" .ctx -}}
{{- $out := list -}}
{{- range $key, $env := .names -}}
{{- $ref := dict "name" $secret "key" $key -}}
{{- if and $existing (eq $key "password") }}{{ $ref = dict "name" $existing "key" "password" }}{{ end -}}
{{- $out = append $out (dict "name" $env "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- printf "\n%s" (toYaml $out) -}}
{{- end -}}

{{/* EnvVar with the gateway master key. dict: ctx, name (env var name). */}}
{{- define "llm-stack-common.gateway.keyEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "llm-stack-common.gateway.secretName" .ctx }}
      key: master-key
{{- end -}}
