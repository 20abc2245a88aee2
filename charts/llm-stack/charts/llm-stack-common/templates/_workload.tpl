{{/*
Generic workload: ServiceAccount, PVCs, Deployment, Service, exposure, HPA/KEDA, PDB, ServiceMonitor
from one values block. Used by qdrant, open-webui, litemaas, r2r and every entry of the apps chart.

dict:
  ctx            root context of the calling chart
  name           component name (app.kubernetes.io/name, object name suffix)
  component      app.kubernetes.io/component
  w              the workload values (see any subchart's values.yaml for the keys)
  env            optional YAML (string) of EnvVar items put before w.env
  envFrom        optional YAML (string) of EnvFromSource items put before w.envFrom
  volumes        optional YAML (string) of extra Volume items
  volumeMounts   optional YAML (string) of extra VolumeMount items
  initContainers optional YAML (string) of init containers
  podAnnotations optional dict merged into the pod annotations
  podLabels      optional dict merged into the pod labels
*/}}
{{- define "llm-stack-common.workload" -}}
{{- $ctx := .ctx -}}
{{- $w := .w -}}
{{- $g := $ctx.Values.global | default dict -}}
{{- $full := include "llm-stack-common.fullname" . -}}
{{- $sel := dict "ctx" $ctx "name" .name "component" .component -}}
{{- $saValues := $w.serviceAccount | default dict -}}
{{- $saName := $saValues.name | default $full -}}
{{- $svc := $w.service | default dict -}}
{{- $port := $w.port | default 8080 | int -}}
{{- $svcPort := $svc.port | default $port | int -}}
{{- $persistence := $w.persistence | default dict -}}
{{- $rwo := false -}}
{{- range $k, $p := $persistence -}}
{{- if and $p.enabled (not (has "ReadWriteMany" ($p.accessModes | default list))) -}}{{- $rwo = true -}}{{- end -}}
{{- end -}}
{{- if or (not (hasKey $saValues "create")) $saValues.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $saName }}
  labels:
    {{- include "llm-stack-common.labels" $sel | nindent 4 }}
  {{- with (merge (dict) ($saValues.annotations | default dict) (.serviceAccountAnnotations | default dict)) }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- range $key, $p := $persistence }}
{{- if and $p.enabled (not $p.existingClaim) }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ printf "%s-%s" $full $key | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "llm-stack-common.labels" $sel | nindent 4 }}
  {{- if $p.keep }}
  annotations:
    helm.sh/resource-policy: keep
  {{- end }}
spec:
  accessModes:
    {{- toYaml ($p.accessModes | default (list "ReadWriteOnce")) | nindent 4 }}
  {{- $sc := $p.storageClass | default $g.storageClass }}
  {{- if $sc }}
  storageClassName: {{ eq $sc "-" | ternary "" $sc | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ $p.size }}
{{- end }}
{{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $full }}
  labels:
    {{- include "llm-stack-common.labels" $sel | nindent 4 }}
spec:
  {{- if not ($w.autoscaling | default dict).enabled }}
  replicas: {{ $w.replicaCount | default 1 }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "llm-stack-common.selectorLabels" $sel | nindent 6 }}
  strategy:
    {{- if $w.strategy }}
    {{- toYaml $w.strategy | nindent 4 }}
    {{- else if $rwo }}
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
    {{- end }}
  template:
    metadata:
      labels:
        {{- toYaml (merge (include "llm-stack-common.labels" $sel | fromYaml) (.podLabels | default dict) ($w.podLabels | default dict)) | nindent 8 }}
      {{- with (merge (dict) ($w.podAnnotations | default dict) (.podAnnotations | default dict)) }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $saName }}
      automountServiceAccountToken: {{ $w.automountServiceAccountToken | default false }}
      enableServiceLinks: false
      {{- with (include "llm-stack-common.imagePullSecrets" (dict "ctx" $ctx "images" (list $w.image))) }}
      {{- . | nindent 6 }}
      {{- end }}
      securityContext:
        {{- include "llm-stack-common.podSecurityContext" (dict "ctx" $ctx "sc" $w.podSecurityContext) | nindent 8 }}
      {{- with (include "llm-stack-common.scheduling" (dict "ctx" $ctx "name" .name "w" $w)) }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $w.runtimeClassName }}
      runtimeClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $w.terminationGracePeriodSeconds | default 30 }}
      {{- with .initContainers }}
      initContainers:
        {{- . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .containerName | default .name }}
          image: {{ include "llm-stack-common.image" (dict "ctx" $ctx "image" $w.image) | quote }}
          imagePullPolicy: {{ $w.image.pullPolicy | default "IfNotPresent" }}
          {{- with $w.command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $w.args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ $port }}
              protocol: TCP
            {{- range ($w.extraPorts | default list) }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: {{ .protocol | default "TCP" }}
            {{- end }}
          {{- if or .env $w.env }}
          env:
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $w.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- if or .envFrom $w.envFrom }}
          envFrom:
            {{- with .envFrom }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $w.envFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- if not (and $w.readinessProbe $w.livenessProbe) }}
          {{- fail (printf "%s: readinessProbe and livenessProbe are required" .name) }}
          {{- end }}
          {{- with $w.startupProbe }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          livenessProbe:
            {{- toYaml $w.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml $w.readinessProbe | nindent 12 }}
          resources:
            {{- include "llm-stack-common.resources" (dict "what" .name "resources" $w.resources) | nindent 12 }}
          securityContext:
            {{- include "llm-stack-common.containerSecurityContext" (dict "ctx" $ctx "sc" $w.containerSecurityContext) | nindent 12 }}
          volumeMounts:
            {{- range ($w.writableDirs | default list) }}
            - name: {{ .name }}
              mountPath: {{ .mountPath }}
            {{- end }}
            {{- range $key, $p := $persistence }}
            - name: {{ $key }}
              mountPath: {{ $p.mountPath }}
              {{- with $p.subPath }}
              subPath: {{ . }}
              {{- end }}
            {{- end }}
            {{- with .volumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $w.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- range ($w.writableDirs | default list) }}
        - name: {{ .name }}
          emptyDir:
            {{- with .medium }}
            medium: {{ . }}
            {{- end }}
            sizeLimit: {{ .sizeLimit | default "1Gi" }}
        {{- end }}
        {{- range $key, $p := $persistence }}
        - name: {{ $key }}
          {{- if $p.enabled }}
          persistentVolumeClaim:
            claimName: {{ $p.existingClaim | default (printf "%s-%s" $full $key | trunc 63 | trimSuffix "-") }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ $p.size | default "1Gi" }}
          {{- end }}
        {{- end }}
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with $w.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $full }}
  labels:
    {{- include "llm-stack-common.labels" $sel | nindent 4 }}
  {{- with $svc.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $svc.type | default "ClusterIP" }}
  {{- with $svc.sessionAffinity }}
  sessionAffinity: {{ . }}
  {{- end }}
  ports:
    - name: http
      port: {{ $svcPort }}
      targetPort: http
      protocol: TCP
    {{- range ($w.extraPorts | default list) }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: {{ .protocol | default "TCP" }}
    {{- end }}
  selector:
    {{- include "llm-stack-common.selectorLabels" $sel | nindent 4 }}
{{- if $svc.headless }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-headless" $full | trunc 63 }}
  labels:
    {{- include "llm-stack-common.labels" $sel | nindent 4 }}
spec:
  clusterIP: None
  ports:
    - name: http
      port: {{ $svcPort }}
      targetPort: http
  selector:
    {{- include "llm-stack-common.selectorLabels" $sel | nindent 4 }}
{{- end }}
{{- $exp := $w.expose | default dict }}
{{- include "llm-stack-common.expose" (dict "ctx" $ctx "name" .name "component" .component "service" $full "port" $svcPort "expose" $exp) }}
{{- range ($w.extraExposes | default list) }}
{{- include "llm-stack-common.expose" (dict "ctx" $ctx "name" $.name "component" $.component "service" $full "objectName" (printf "%s-%s" $full .suffix) "port" $svcPort "expose" .) }}
{{- end }}
{{- include "llm-stack-common.hpa" (dict "ctx" $ctx "name" .name "component" .component "autoscaling" $w.autoscaling "kind" "Deployment") }}
{{- include "llm-stack-common.pdb" (dict "ctx" $ctx "name" .name "component" .component "pdb" ($w.pdb | default dict)) }}
{{- include "llm-stack-common.serviceMonitor" (dict "ctx" $ctx "name" .name "component" .component "metrics" $w.metrics) }}
{{- end -}}

{{/*
Init container that waits for a TCP endpoint and fails loudly after a timeout.
dict: ctx, name, host, port, timeoutSeconds (default 300), image (values), resources.
*/}}
{{- define "llm-stack-common.waitFor" -}}
{{- $t := .timeoutSeconds | default 300 | int -}}
- name: wait-for-{{ .name }}
  image: {{ include "llm-stack-common.image" (dict "ctx" .ctx "image" .image) | quote }}
  imagePullPolicy: IfNotPresent
  command:
    - sh
    - -c
    - |
      end=$(( $(date +%s) + {{ $t }} ))
      until nc -z -w 3 {{ .host }} {{ .port }}; do
        if [ "$(date +%s)" -ge "$end" ]; then
          echo "ERROR: {{ .host }}:{{ .port }} not reachable after {{ $t }}s" >&2
          exit 1
        fi
        echo "waiting for {{ .host }}:{{ .port }}"; sleep 3
      done
  resources:
    {{- include "llm-stack-common.resources" (dict "what" (printf "wait-for-%s" .name) "resources" .resources) | nindent 4 }}
  securityContext:
    {{- include "llm-stack-common.containerSecurityContext" (dict "ctx" .ctx "sc" (dict)) | nindent 4 }}
{{- end -}}


{{/*
The wait-for init container of a PostgreSQL or Redis consumer: host and port from the connection
Secret it uses. dict: ctx, what (postgresql or redis), database (postgresql), timeoutSeconds
(optional). Returns a YAML list of one container.
*/}}
{{- define "llm-stack-common.waitForBackend" -}}
{{- $names := dict "host" "DB_HOST" "port" "DB_PORT" -}}
{{- $env := "" -}}
{{- if eq .what "redis" -}}
{{- $names = dict "host" "REDIS_HOST" "port" "REDIS_PORT" -}}
{{- $env = include "llm-stack-common.redis.env" (dict "ctx" .ctx "names" $names) -}}
{{- else -}}
{{- $env = include "llm-stack-common.postgresql.env" (dict "ctx" .ctx "database" .database "names" $names) -}}
{{- end -}}
{{- $c := include "llm-stack-common.waitFor" (dict "ctx" .ctx "name" .what "host" (printf "$(%s)" $names.host) "port" (printf "$(%s)" $names.port) "timeoutSeconds" .timeoutSeconds "image" (include "llm-stack-common.utilityImage" .ctx | fromYaml) "resources" (include "llm-stack-common.helperResources" .ctx | fromYaml)) | fromYamlArray | first -}}
{{- $_ := set $c "env" ($env | fromYamlArray) -}}
{{- toYaml (list $c) -}}
{{- end -}}
