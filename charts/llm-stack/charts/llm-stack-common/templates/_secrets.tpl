{{/*
Secret value that survives upgrades: the explicit value when given, else the value already stored in
the cluster (lookup), else a random one. Returns base64 (for Secret .data).
dict: ctx, secret (Secret name), key, value (optional explicit), length (default 32), prefix (of generated values).
*/}}
{{- define "llm-stack-common.secretValue" -}}
{{- if .value -}}
{{- .value | toString | b64enc -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- printf "%s%s" (.prefix | default "") (randAlphaNum (.length | default 32 | int)) | b64enc -}}
{{- end -}}
{{- end -}}
{{- end -}}
