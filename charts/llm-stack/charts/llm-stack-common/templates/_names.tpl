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

{{/* All recommended labels. Optional: component. */}}
{{- define "llm-stack-common.labels" -}}
{{ include "llm-stack-common.selectorLabels" . }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- $g := .ctx.Values.global | default dict }}
app.kubernetes.io/part-of: {{ $g.partOf | default "llm-stack" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | default .ctx.Chart.Version | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "llm-stack-common.chart" .ctx }}
{{- with $g.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Well-known names shared between subcharts (one place, so a consumer and its provider agree).
*/}}
{{/* Service of the bundled PostgreSQL primary. */}}
{{- define "llm-stack-common.postgresql.host" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "postgresql") -}}
{{- end -}}

{{/* Connection Secret of one PostgreSQL consumer (keys: host, port, database, username, password, uri). */}}
{{- define "llm-stack-common.postgresql.secretName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (printf "postgresql-%s" .database)) -}}
{{- end -}}

{{/* Service of the bundled Redis primary. */}}
{{- define "llm-stack-common.redis.host" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "redis") -}}
{{- end -}}

{{/* Connection Secret of Redis (keys: host, port, password). */}}
{{- define "llm-stack-common.redis.secretName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "redis-connection") -}}
{{- end -}}

{{/* Gateway (LiteLLM) Service name and port. */}}
{{- define "llm-stack-common.gateway.host" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "litellm") -}}
{{- end -}}

{{/* Gateway URL as OpenAI-compatible base URL. */}}
{{- define "llm-stack-common.gateway.url" -}}
{{- printf "http://%s:4000" (include "llm-stack-common.gateway.host" .) -}}
{{- end -}}

{{/* Secret holding the gateway keys (master-key, salt-key, ui-password): global.gateway.existingSecret, else generated. */}}
{{- define "llm-stack-common.gateway.secretName" -}}
{{- $g := .Values.global | default dict -}}
{{- $gw := $g.gateway | default dict -}}
{{- $gw.existingSecret | default (include "llm-stack-common.fullname" (dict "ctx" . "name" "litellm-keys")) -}}
{{- end -}}

{{/* Service of one vLLM model server. */}}
{{- define "llm-stack-common.vllm.name" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (printf "vllm-%s" .model)) -}}
{{- end -}}

{{/* Qdrant Service. */}}
{{- define "llm-stack-common.qdrant.host" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "qdrant") -}}
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

{{/*
EnvVars for a PostgreSQL consumer, read from its connection Secret.
dict: ctx, database, names (dict of key -> env var name; keys: host, port, database, username, password, uri).
*/}}
{{- define "llm-stack-common.postgresql.env" -}}
{{- $secret := include "llm-stack-common.postgresql.secretName" . -}}
{{- range $key, $env := .names }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{/* EnvVars for a Redis consumer. dict: ctx, names (keys: host, port, password). */}}
{{- define "llm-stack-common.redis.env" -}}
{{- $secret := include "llm-stack-common.redis.secretName" .ctx -}}
{{- range $key, $env := .names }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{/* EnvVar with the gateway master key. dict: ctx, name (env var name). */}}
{{- define "llm-stack-common.gateway.keyEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "llm-stack-common.gateway.secretName" .ctx }}
      key: master-key
{{- end -}}
