{{/*
Platform detection. global.platform: auto | kubernetes | openshift.
auto = OpenShift when the API server serves security.openshift.io/v1 (helm template: -a security.openshift.io/v1).
Returns "true" or "".
*/}}
{{- define "llm-stack-common.isOpenShift" -}}
{{- $g := .Values.global | default dict -}}
{{- $p := $g.platform | default "auto" -}}
{{- if not (has $p (list "auto" "kubernetes" "openshift")) -}}
{{- fail (printf "global.platform must be auto, kubernetes or openshift, not %q" $p) -}}
{{- end -}}
{{- if eq $p "openshift" -}}true
{{- else if and (eq $p "auto") (.Capabilities.APIVersions.Has "security.openshift.io/v1") -}}true
{{- end -}}
{{- end -}}

{{/* "true" when the Prometheus operator API is served and global.monitoring.enabled. */}}
{{- define "llm-stack-common.monitoringEnabled" -}}
{{- $g := .Values.global | default dict -}}
{{- $m := $g.monitoring | default dict -}}
{{- if and $m.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") -}}true{{- end -}}
{{- end -}}
