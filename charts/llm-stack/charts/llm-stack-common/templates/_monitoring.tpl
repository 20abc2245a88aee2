{{/*
ServiceMonitor, rendered when global.monitoring.enabled, the component's metrics.enabled, and the
API server serves monitoring.coreos.com/v1. dict: ctx, name, component, metrics (enabled, path,
port (Service port name), interval).
*/}}
{{- define "llm-stack-common.serviceMonitor" -}}
{{- $m := .metrics | default dict -}}
{{- if and $m.enabled (include "llm-stack-common.monitoringEnabled" .ctx) }}
{{- $g := .ctx.Values.global | default dict }}
{{- $gm := $g.monitoring | default dict }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "llm-stack-common.fullname" . }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
    {{- with $gm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "llm-stack-common.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: {{ $m.port | default "http" }}
      path: {{ $m.path | default "/metrics" }}
      interval: {{ $m.interval | default $gm.interval | default "30s" }}
{{- end }}
{{- end -}}
