{{- define "litellm.configMapName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "litellm-config") -}}
{{- end -}}

{{/* The proxy config as a dict (model list from global.models + externalModels). */}}
{{- define "litellm.config" -}}
{{- $models := list -}}
{{- range $m := (include "llm-stack-common.enabledModels" . | fromYaml).models -}}
{{- $e := include "llm-stack-common.endpoint" (dict "ctx" $ "name" "vllm" "model" $m.name) | fromYaml -}}
{{- $params := dict "model" (printf "hosted_vllm/%s" $m.name) "api_base" (printf "http://%s:%v/v1" $e.host $e.port) -}}
{{- $models = append $models (dict "model_name" $m.name "litellm_params" $params "model_info" (dict "id" (printf "vllm-%s" $m.name) "base_model" $m.model)) -}}
{{- end -}}
{{- range $i, $m := .Values.externalModels -}}
{{- $params := dict "model" $m.model -}}
{{- with $m.apiBase }}{{ $_ := set $params "api_base" . }}{{ end -}}
{{- if $m.apiKeySecret }}{{ $_ := set $params "api_key" (printf "os.environ/EXTERNAL_MODEL_%d_API_KEY" $i) }}{{ end -}}
{{- $models = append $models (dict "model_name" $m.name "litellm_params" $params) -}}
{{- end -}}
{{- $ls := dict "drop_params" true -}}
{{- $rs := dict "routing_strategy" "simple-shuffle" -}}
{{- if .Values.redis.enabled -}}
{{- $redis := dict "host" "os.environ/REDIS_HOST" "port" "os.environ/REDIS_PORT" "password" "os.environ/REDIS_PASSWORD" -}}
{{- $rs = merge $rs (dict "redis_host" "os.environ/REDIS_HOST" "redis_port" "os.environ/REDIS_PORT" "redis_password" "os.environ/REDIS_PASSWORD") -}}
{{- if .Values.cache.enabled -}}
{{- $_ := set $ls "cache" true -}}
{{- $_ := set $ls "cache_params" (merge (dict "type" "redis" "ttl" .Values.cache.ttl) $redis) -}}
{{- end -}}
{{- end -}}
{{- $gs := dict "master_key" "os.environ/LITELLM_MASTER_KEY" -}}
{{- if .Values.database.enabled -}}
{{- $_ := set $gs "database_url" "os.environ/DATABASE_URL" -}}
{{- end -}}
{{- $cfg := dict "model_list" $models "litellm_settings" (mergeOverwrite $ls .Values.litellmSettings) "router_settings" (mergeOverwrite $rs .Values.routerSettings) "general_settings" (mergeOverwrite $gs .Values.generalSettings) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Env of the gateway and the migration job. */}}
{{- define "litellm.env" -}}
{{- $keys := include "llm-stack-common.gateway.secretName" . }}
- name: HOME
  value: /tmp
- name: LITELLM_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $keys }}
      key: master-key
- name: LITELLM_SALT_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $keys }}
      key: salt-key
- name: UI_USERNAME
  value: {{ .Values.ui.username | quote }}
- name: UI_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $keys }}
      key: ui-password
- name: DISABLE_SCHEMA_UPDATE
  value: "true"
{{- if .Values.database.enabled }}
{{- include "llm-stack-common.postgresql.env" (dict "ctx" . "database" .Values.database.name "names" (dict "uri" "DATABASE_URL" "host" "DB_HOST" "port" "DB_PORT" "database" "DB_NAME" "username" "DB_USER" "password" "DB_PASSWORD")) }}
{{- end }}
{{- if .Values.redis.enabled }}
{{- include "llm-stack-common.redis.env" (dict "ctx" . "names" (dict "host" "REDIS_HOST" "port" "REDIS_PORT" "password" "REDIS_PASSWORD")) }}
{{- end }}
{{- range $i, $m := .Values.externalModels }}
{{- with $m.apiKeySecret }}
- name: {{ printf "EXTERNAL_MODEL_%d_API_KEY" $i }}
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "litellm.waitFor" -}}
{{- $out := list -}}
{{- if .Values.database.enabled -}}
{{- $out = concat $out (include "llm-stack-common.waitForBackend" (dict "ctx" . "what" "postgresql" "database" .Values.database.name "timeoutSeconds" .Values.migrations.waitTimeoutSeconds) | fromYamlArray) -}}
{{- end -}}
{{- if .Values.redis.enabled -}}
{{- $out = concat $out (include "llm-stack-common.waitForBackend" (dict "ctx" . "what" "redis" "timeoutSeconds" .Values.migrations.waitTimeoutSeconds) | fromYamlArray) -}}
{{- end -}}
{{- if $out }}{{ toYaml $out }}{{ end -}}
{{- end -}}
