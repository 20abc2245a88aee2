{{/*
PodDisruptionBudget. dict: ctx, name, component, pdb (enabled, minAvailable, maxUnavailable), replicas.
Rendered only when enabled (a PDB on a single replica would block node drains).
*/}}
{{- define "llm-stack-common.pdb" -}}
{{- if .pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "llm-stack-common.fullname" . }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
spec:
  {{- if .pdb.maxUnavailable }}
  maxUnavailable: {{ .pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .pdb.minAvailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "llm-stack-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
Autoscaling. dict: ctx, name, component, autoscaling (enabled, minReplicas, maxReplicas,
targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage, keda{enabled, pollingInterval,
cooldownPeriod, triggers}), kind (Deployment|StatefulSet).
A KEDA ScaledObject replaces the HPA when keda.enabled and keda.sh/v1alpha1 is served (KEDA owns its HPA).
*/}}
{{- define "llm-stack-common.useKeda" -}}
{{- $a := .autoscaling | default dict -}}
{{- $k := $a.keda | default dict -}}
{{- if and $a.enabled $k.enabled (.ctx.Capabilities.APIVersions.Has "keda.sh/v1alpha1") -}}true{{- end -}}
{{- end -}}

{{- define "llm-stack-common.hpa" -}}
{{- $a := .autoscaling | default dict -}}
{{- if $a.enabled }}
{{- $k := $a.keda | default dict }}
{{- $name := include "llm-stack-common.fullname" . }}
{{- if include "llm-stack-common.useKeda" . }}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $name }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ .kind | default "Deployment" }}
    name: {{ $name }}
  minReplicaCount: {{ $a.minReplicas }}
  maxReplicaCount: {{ $a.maxReplicas }}
  pollingInterval: {{ $k.pollingInterval | default 30 }}
  cooldownPeriod: {{ $k.cooldownPeriod | default 300 }}
  triggers:
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: cpu
      metricType: Utilization
      metadata:
        value: {{ . | quote }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: memory
      metricType: Utilization
      metadata:
        value: {{ . | quote }}
    {{- end }}
    {{- with $k.triggers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- else }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "llm-stack-common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ .kind | default "Deployment" }}
    name: {{ $name }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Scheduling block of a pod spec: nodeSelector, tolerations, affinity (explicit, else generated
anti-affinity), topologySpreadConstraints (explicit, else generated from topologySpread).
dict: ctx, name, w (values with nodeSelector, tolerations, affinity, podAntiAffinity soft|hard|"",
topologySpreadConstraints, topologySpread{enabled, maxSkew, zone, hostname}).
*/}}
{{- define "llm-stack-common.scheduling" -}}
{{- $w := .w -}}
{{- with $w.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $w.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $w.affinity }}
affinity:
  {{- toYaml $w.affinity | nindent 2 }}
{{- else if eq ($w.podAntiAffinity | default "") "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "llm-stack-common.selectorLabels" . | nindent 12 }}
{{- else if eq ($w.podAntiAffinity | default "") "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "llm-stack-common.selectorLabels" . | nindent 14 }}
{{- end }}
{{- $ts := $w.topologySpread | default dict }}
{{- if $w.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml $w.topologySpreadConstraints | nindent 2 }}
{{- else if $ts.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $ts.maxSkew | default 1 }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ $ts.zone | default "ScheduleAnyway" }}
    labelSelector:
      matchLabels:
        {{- include "llm-stack-common.selectorLabels" . | nindent 8 }}
  - maxSkew: {{ $ts.maxSkew | default 1 }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ $ts.hostname | default "ScheduleAnyway" }}
    labelSelector:
      matchLabels:
        {{- include "llm-stack-common.selectorLabels" . | nindent 8 }}
{{- end }}
{{- with $w.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}
