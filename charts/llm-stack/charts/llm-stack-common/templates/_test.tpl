{{/*
`helm test` hook Pod that runs one shell check. dict: ctx, name, component, image (values),
script, resources, podSecurityContext (optional), env (optional YAML string).
*/}}
{{- define "llm-stack-common.testPod" }}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "llm-stack-common.fullname" (dict "ctx" .ctx "name" (printf "test-%s" .name)) }}
  labels:
    {{- include "llm-stack-common.labels" (dict "ctx" .ctx "name" (printf "test-%s" .name) "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- include "llm-stack-common.imagePullSecrets" (dict "ctx" .ctx "images" (list .image)) | nindent 2 }}
  securityContext:
    {{- include "llm-stack-common.podSecurityContext" (dict "ctx" .ctx "sc" (.podSecurityContext | default (dict "runAsUser" 1001 "runAsGroup" 1001))) | nindent 4 }}
  containers:
    - name: test
      image: {{ include "llm-stack-common.image" (dict "ctx" .ctx "image" .image) | quote }}
      command: ["sh", "-c", {{ .script | quote }}]
      {{- with .env }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      resources:
        {{- include "llm-stack-common.resources" (dict "what" (printf "test-%s" .name) "resources" (.resources | default (dict "requests" (dict "cpu" "10m" "memory" "16Mi") "limits" (dict "cpu" "100m" "memory" "64Mi")))) | nindent 8 }}
      securityContext:
        {{- include "llm-stack-common.containerSecurityContext" (dict "ctx" .ctx "sc" (dict)) | nindent 8 }}
{{- end -}}
