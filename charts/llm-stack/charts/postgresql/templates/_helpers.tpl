{{- define "postgresql.adminSecret" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "postgresql-admin") -}}
{{- end -}}
{{- define "postgresql.dbUser" -}}
{{- .username | default .name -}}
{{- end -}}
