{{/*
Exposure of a Service outside the cluster. dict: ctx, name, component, service (Service name),
port (Service port number), expose (values: enabled, kind auto|route|ingress|httproute, host, path,
className, annotations, tls{enabled, secretName}, gateway{name, namespace, sectionName}).
kind auto = Route (edge TLS, redirect http) on OpenShift, Ingress elsewhere.
*/}}
{{- define "llm-stack-common.exposeKind" -}}
{{- $kind := .expose.kind | default "auto" -}}
{{- if eq $kind "auto" -}}
{{- if include "llm-stack-common.isOpenShift" .ctx -}}route{{- else -}}ingress{{- end -}}
{{- else -}}{{ $kind }}{{- end -}}
{{- end -}}

{{/* Host name of an exposed component: expose.host, else <name>-<namespace>.<global.clusterDomain> (OpenShift's default), else "". */}}
{{- define "llm-stack-common.exposeHost" -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- if .expose.host -}}{{ .expose.host }}
{{- else if $g.clusterDomain -}}{{ printf "%s-%s.%s" .service .ctx.Release.Namespace $g.clusterDomain }}
{{- end -}}
{{- end -}}

{{- define "llm-stack-common.expose" -}}
{{- if .expose.enabled }}
{{- $kind := include "llm-stack-common.exposeKind" . }}
{{- $host := include "llm-stack-common.exposeHost" . }}
{{- $tls := .expose.tls | default dict }}
{{- if not (has $kind (list "route" "ingress" "httproute")) }}
{{- fail (printf "%s: expose.kind must be auto, route, ingress or httproute" .name) }}
{{- end }}
{{- if eq $kind "route" }}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: {{ .objectName | default .service }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
  {{- with .expose.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $host }}
  host: {{ . }}
  {{- end }}
  path: {{ .expose.path | default "/" }}
  to:
    kind: Service
    name: {{ .service }}
    weight: 100
  port:
    targetPort: {{ .targetPort | default "http" }}
  tls:
    termination: edge
    insecureEdgeTerminationPolicy: Redirect
  wildcardPolicy: None
{{- else if eq $kind "ingress" }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .objectName | default .service }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
  {{- with .expose.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .expose.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if and $host (ne (toString $tls.enabled) "false") }}
  tls:
    - hosts: [{{ $host | quote }}]
      secretName: {{ $tls.secretName | default (printf "%s-tls" .service) }}
  {{- end }}
  rules:
    - {{- with $host }}
      host: {{ . | quote }}
      {{- end }}
      http:
        paths:
          - path: {{ .expose.path | default "/" }}
            pathType: Prefix
            backend:
              service:
                name: {{ .service }}
                port:
                  number: {{ .port }}
{{- else if eq $kind "httproute" }}
{{- $gw := .expose.gateway | default dict }}
{{- if not $gw.name }}{{ fail (printf "%s: expose.gateway.name is required for kind httproute" .name) }}{{ end }}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ .objectName | default .service }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
  {{- with .expose.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  parentRefs:
    - name: {{ $gw.name }}
      {{- with $gw.namespace }}
      namespace: {{ . }}
      {{- end }}
      {{- with $gw.sectionName }}
      sectionName: {{ . }}
      {{- end }}
  {{- with $host }}
  hostnames: [{{ . | quote }}]
  {{- end }}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: {{ .expose.path | default "/" }}
      backendRefs:
        - name: {{ .service }}
          port: {{ .port }}
{{- end }}
{{- end }}
{{- end -}}
