{{/*
Image reference. dict: ctx, image (registry, repository, tag, digest, pullSecret, fallback{registry,repository,tag}).
- global.imageRegistry, when set, replaces the registry (a mirror).
- image.pullSecret names the pull secret of the primary registry (e.g. registry.redhat.io). When it is set,
  the primary image is used only when that Secret exists (found with lookup, or listed in
  global.imagePullSecrets); otherwise image.fallback is used (seed 000: Red Hat image, Quay fallback).
- Tags are required and may not be "latest"; a digest pins the image further.
*/}}
{{- define "llm-stack-common.primaryUsable" -}}
{{- $img := .image -}}
{{- if not $img.pullSecret -}}true
{{- else -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- $names := list -}}
{{- range ($g.imagePullSecrets | default list) -}}{{- $names = append $names (kindIs "string" . | ternary . (.name | default "")) -}}{{- end -}}
{{- if has $img.pullSecret $names -}}true
{{- else if (lookup "v1" "Secret" .ctx.Release.Namespace $img.pullSecret) -}}true
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "llm-stack-common.image" -}}
{{- $img := .image -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- $use := $img -}}
{{- if and $img.fallback (not (include "llm-stack-common.primaryUsable" .)) -}}
{{- $use = $img.fallback -}}
{{- end -}}
{{- $registry := $g.imageRegistry | default $use.registry -}}
{{- $tag := toString ($use.tag | default "") -}}
{{- if and (not $tag) (not $use.digest) -}}
{{- fail (printf "image %s: a tag (or digest) is required" $use.repository) -}}
{{- end -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "image %s: the tag \"latest\" is not allowed, pin a version" $use.repository) -}}
{{- end -}}
{{- $ref := $use.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" $registry $use.repository -}}{{- end -}}
{{- if $tag -}}{{- $ref = printf "%s:%s" $ref $tag -}}{{- end -}}
{{- if $use.digest -}}{{- $ref = printf "%s@%s" $ref $use.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* imagePullSecrets of a pod. dict: ctx, images (list of image values). */}}
{{- define "llm-stack-common.imagePullSecrets" -}}
{{- $g := .ctx.Values.global | default dict -}}
{{- $names := list -}}
{{- range ($g.imagePullSecrets | default list) -}}{{- $names = append $names (kindIs "string" . | ternary . (.name | default "")) -}}{{- end -}}
{{- range $img := .images -}}
{{- if and $img.pullSecret (include "llm-stack-common.primaryUsable" (dict "ctx" $.ctx "image" $img)) -}}
{{- $names = append $names $img.pullSecret -}}
{{- end -}}
{{- end -}}
{{- $names = $names | uniq | compact -}}
{{- if $names }}
imagePullSecrets:
{{- range $names }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}
