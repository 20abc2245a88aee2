{{/*
Restricted pod security (Pod Security Standard "restricted").
On OpenShift fixed UIDs/GIDs are removed: the restricted-v2 SCC assigns them from the namespace range.
*/}}
{{- define "llm-stack-common.podSecurityContext" -}}
{{- $base := dict "runAsNonRoot" true "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- $sc := mergeOverwrite $base (deepCopy (.sc | default dict)) -}}
{{- if include "llm-stack-common.isOpenShift" .ctx -}}
{{- $sc = omit $sc "runAsUser" "runAsGroup" "fsGroup" "supplementalGroups" -}}
{{- end -}}
{{- toYaml $sc -}}
{{- end -}}

{{- define "llm-stack-common.containerSecurityContext" -}}
{{- $base := dict "allowPrivilegeEscalation" false "capabilities" (dict "drop" (list "ALL")) "runAsNonRoot" true "readOnlyRootFilesystem" true "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- $sc := mergeOverwrite $base (deepCopy (.sc | default dict)) -}}
{{- $_ := set $sc "allowPrivilegeEscalation" false -}}
{{- $_ := set $sc "capabilities" (dict "drop" (list "ALL")) -}}
{{- $_ := set $sc "privileged" false -}}
{{- if include "llm-stack-common.isOpenShift" .ctx -}}
{{- $sc = omit $sc "runAsUser" "runAsGroup" -}}
{{- end -}}
{{- toYaml $sc -}}
{{- end -}}

{{/* Fails when a container has no requests or no limits. dict: what, resources. */}}
{{- define "llm-stack-common.resources" -}}
{{- $r := .resources | default dict -}}
{{- if or (not $r.requests) (not $r.limits) -}}
{{- fail (printf "%s: resources.requests and resources.limits are both required" .what) -}}
{{- end -}}
{{- toYaml $r -}}
{{- end -}}
