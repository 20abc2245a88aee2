{{/* Secret of the admin and replication passwords (keys postgres-password, replication-password):
global.postgresql.existingSecret, else the chart's own. */}}
{{- define "postgresql.adminSecret" -}}
{{- include "llm-stack-common.postgresql.existingSecret" . | default (include "llm-stack-common.fullname" (dict "ctx" . "name" "postgresql-admin")) -}}
{{- end -}}

{{/* Secret and key of a database role's password. dict: ctx, database. Returns YAML {name, key}. */}}
{{- define "postgresql.passwordRef" -}}
{{- $existing := include "llm-stack-common.postgresql.existingSecret" .ctx -}}
{{- if $existing -}}
{{- toYaml (dict "name" $existing "key" (printf "%s-password" .database)) -}}
{{- else -}}
{{- toYaml (dict "name" (include "llm-stack-common.postgresql.secretName" .) "key" "password") -}}
{{- end -}}
{{- end -}}
{{- define "postgresql.dbUser" -}}
{{- .username | default .name -}}
{{- end -}}
