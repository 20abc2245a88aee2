{{/* Resolved auth mode. */}}
{{- define "litemaas.authMode" -}}
{{- $m := .Values.auth.mode -}}
{{- if eq $m "auto" -}}
{{- ternary "openshift-client" "oidc" (eq (include "llm-stack-common.isOpenShift" .) "true") -}}
{{- else -}}{{ $m }}{{- end -}}
{{- end -}}

{{- define "litemaas.frontendName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "litemaas-frontend") -}}
{{- end -}}
{{- define "litemaas.backendName" -}}
{{- include "llm-stack-common.fullname" (dict "ctx" . "name" "litemaas-backend") -}}
{{- end -}}
{{- define "litemaas.secretName" -}}
{{- .Values.auth.existingSecret | default (include "llm-stack-common.fullname" (dict "ctx" . "name" "litemaas")) -}}
{{- end -}}

{{/* Public host of the portal (the frontend Route/Ingress). */}}
{{- define "litemaas.host" -}}
{{- include "llm-stack-common.exposeHost" (dict "ctx" . "service" (include "litemaas.frontendName" .) "expose" .Values.frontend.expose) -}}
{{- end -}}

{{- define "litemaas.clientId" -}}
{{- $mode := include "litemaas.authMode" . -}}
{{- if eq $mode "openshift-serviceaccount" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "litemaas.backendName" .) -}}
{{- else if eq $mode "openshift-client" -}}
{{- .Values.auth.openshift.clientId | default (printf "%s-%s-litemaas" .Release.Namespace .Release.Name) -}}
{{- else -}}
{{- .Values.auth.oidc.clientId -}}
{{- end -}}
{{- end -}}

{{- define "litemaas.issuer" -}}
{{- $mode := include "litemaas.authMode" . -}}
{{- $g := .Values.global | default dict -}}
{{- if hasPrefix "openshift" $mode -}}
{{- .Values.auth.openshift.issuer | default (and $g.clusterDomain (printf "https://oauth-openshift.%s" $g.clusterDomain)) | default "" -}}
{{- else -}}
{{- .Values.auth.oidc.issuer -}}
{{- end -}}
{{- end -}}
