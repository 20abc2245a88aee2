{{/*
The traffic graph of the release: which component talks to which, on which port. Nodes are
`app.kubernetes.io/name` values of the release's pods. NetworkPolicies are generated from it.
Returns YAML: {edges: [{from, to, port}], ports: {name: [ports]}, exposed: [names], scraped: [{name, port}], external: [names], apiServer: [names]}
*/}}
{{- define "llm-stack.graph" -}}
{{- $v := .Values -}}
{{- $edges := list -}}
{{- $ports := dict -}}
{{- $exposed := list -}}
{{- $scraped := list -}}
{{- $external := list -}}
{{- $api := list -}}
{{- $monitoring := include "llm-stack-common.monitoringEnabled" . -}}
{{- $pg := and $v.postgresql.enabled (eq $v.postgresql.mode "internal") -}}
{{- $redis := and $v.redis.enabled (eq $v.redis.mode "internal") -}}
{{- $ext := $v.networkPolicy.externalEgress | default list -}}
{{- /* every port comes from the components' contracts (llm-stack-common.endpoint) */ -}}
{{- $pgPort := include "llm-stack-common.port" (dict "ctx" . "name" "postgresql") | int -}}
{{- $redisPort := include "llm-stack-common.port" (dict "ctx" . "name" "redis") | int -}}
{{- $gwPort := include "llm-stack-common.port" (dict "ctx" . "name" "litellm") | int -}}
{{- $vllmPort := include "llm-stack-common.port" (dict "ctx" . "name" "vllm") | int -}}
{{- $qdrantPort := include "llm-stack-common.port" (dict "ctx" . "name" "qdrant") | int -}}
{{- $qdrantGrpc := include "llm-stack-common.port" (dict "ctx" . "name" "qdrant-grpc") | int -}}
{{- /* PostgreSQL */ -}}
{{- if $pg -}}
{{- $_ := set $ports "postgresql" (list $pgPort) -}}
{{- $edges = append $edges (dict "from" "test-postgresql" "to" "postgresql" "port" $pgPort) -}}
{{- if gt (int $v.postgresql.readReplicas.count) 0 -}}
{{- $_ := set $ports "postgresql-replica" (list $pgPort) -}}
{{- $edges = append $edges (dict "from" "postgresql-replica" "to" "postgresql" "port" $pgPort) -}}
{{- end -}}
{{- if $v.postgresql.backup.enabled -}}
{{- $edges = append $edges (dict "from" "postgresql-backup" "to" "postgresql" "port" $pgPort) -}}
{{- end -}}
{{- end -}}
{{- /* Redis */ -}}
{{- if $redis -}}
{{- $_ := set $ports "redis" (list $redisPort) -}}
{{- $edges = append $edges (dict "from" "test-redis" "to" "redis" "port" $redisPort) -}}
{{- if gt (int $v.redis.replicaCount) 1 -}}
{{- $edges = append $edges (dict "from" "redis" "to" "redis" "port" $redisPort) -}}
{{- end -}}
{{- end -}}
{{- /* Gateway */ -}}
{{- $gw := $v.litellm.enabled -}}
{{- if $gw -}}
{{- $_ := set $ports "litellm" (list $gwPort) -}}
{{- $edges = append $edges (dict "from" "test-litellm" "to" "litellm" "port" $gwPort) -}}
{{- if and $pg $v.litellm.database.enabled -}}
{{- $edges = append $edges (dict "from" "litellm" "to" "postgresql" "port" $pgPort) -}}
{{- if $v.litellm.migrations.enabled -}}
{{- $edges = append $edges (dict "from" "litellm-migrations" "to" "postgresql" "port" $pgPort) -}}
{{- end -}}
{{- end -}}
{{- if and $redis $v.litellm.redis.enabled -}}
{{- $edges = append $edges (dict "from" "litellm" "to" "redis" "port" $redisPort) -}}
{{- end -}}
{{- if $v.litellm.expose.enabled }}{{ $exposed = append $exposed "litellm" }}{{ end -}}
{{- if and $monitoring $v.litellm.metrics.enabled }}{{ $scraped = append $scraped (dict "name" "litellm" "port" $gwPort) }}{{ end -}}
{{- if has "litellm" $ext }}{{ $external = append $external "litellm" }}{{ end -}}
{{- end -}}
{{- /* Model servers */ -}}
{{- if $v.vllm.enabled -}}
{{- range $m := (include "llm-stack-common.enabledModels" $ | fromYaml).models -}}
{{- $n := printf "vllm-%s" $m.name -}}
{{- $_ := set $ports $n (list $vllmPort) -}}
{{- $edges = append $edges (dict "from" (printf "test-%s" $n) "to" $n "port" $vllmPort) -}}
{{- if $gw }}{{ $edges = append $edges (dict "from" "litellm" "to" $n "port" $vllmPort) }}{{ end -}}
{{- if and $monitoring $v.vllm.metrics.enabled }}{{ $scraped = append $scraped (dict "name" $n "port" $vllmPort) }}{{ end -}}
{{- if has "vllm" $ext }}{{ $external = append $external $n }}{{ end -}}
{{- end -}}
{{- end -}}
{{- /* Qdrant */ -}}
{{- if $v.qdrant.enabled -}}
{{- $_ := set $ports "qdrant" (list $qdrantPort $qdrantGrpc) -}}
{{- $edges = append $edges (dict "from" "test-qdrant" "to" "qdrant" "port" $qdrantPort) -}}
{{- if $v.qdrant.expose.enabled }}{{ $exposed = append $exposed "qdrant" }}{{ end -}}
{{- if and $monitoring $v.qdrant.metrics.enabled }}{{ $scraped = append $scraped (dict "name" "qdrant" "port" $qdrantPort) }}{{ end -}}
{{- end -}}
{{- /* Open WebUI */ -}}
{{- $owui := index $v "open-webui" -}}
{{- if $owui.enabled -}}
{{- $_ := set $ports "open-webui" (list (int $owui.port)) -}}
{{- $edges = append $edges (dict "from" "test-open-webui" "to" "open-webui" "port" (int $owui.port)) -}}
{{- if $gw }}{{ $edges = append $edges (dict "from" "open-webui" "to" "litellm" "port" $gwPort) }}{{ end -}}
{{- if and $pg $owui.database.enabled }}{{ $edges = append $edges (dict "from" "open-webui" "to" "postgresql" "port" $pgPort) }}{{ end -}}
{{- if and $v.qdrant.enabled (eq $owui.vectorDb "qdrant") }}{{ $edges = append $edges (dict "from" "open-webui" "to" "qdrant" "port" $qdrantPort) }}{{ end -}}
{{- if $owui.expose.enabled }}{{ $exposed = append $exposed "open-webui" }}{{ end -}}
{{- if has "open-webui" $ext }}{{ $external = append $external "open-webui" }}{{ end -}}
{{- end -}}
{{- /* LiteMaaS */ -}}
{{- if $v.litemaas.enabled -}}
{{- $_ := set $ports "litemaas-backend" (list (int $v.litemaas.backend.port)) -}}
{{- $_ := set $ports "litemaas-frontend" (list (int $v.litemaas.frontend.port)) -}}
{{- $edges = append $edges (dict "from" "litemaas-frontend" "to" "litemaas-backend" "port" (int $v.litemaas.backend.port)) -}}
{{- $edges = append $edges (dict "from" "test-litemaas" "to" "litemaas-backend" "port" (int $v.litemaas.backend.port)) -}}
{{- $edges = append $edges (dict "from" "test-litemaas" "to" "litemaas-frontend" "port" (int $v.litemaas.frontend.port)) -}}
{{- if $pg }}{{ $edges = append $edges (dict "from" "litemaas-backend" "to" "postgresql" "port" $pgPort) }}{{ end -}}
{{- if $gw }}{{ $edges = append $edges (dict "from" "litemaas-backend" "to" "litellm" "port" $gwPort) }}{{ end -}}
{{- if $v.litemaas.frontend.expose.enabled }}{{ $exposed = append $exposed "litemaas-frontend" }}{{ end -}}
{{- if $v.litemaas.backend.expose.enabled }}{{ $exposed = append $exposed "litemaas-backend" }}{{ end -}}
{{- if has "litemaas-backend" $ext }}{{ $external = append $external "litemaas-backend" }}{{ end -}}
{{- if eq $v.litemaas.auth.mode "openshift-serviceaccount" }}{{ $api = append $api "litemaas-backend" }}{{ end -}}
{{- end -}}
{{- /* R2R */ -}}
{{- if $v.r2r.enabled -}}
{{- $_ := set $ports "r2r" (list (int $v.r2r.port)) -}}
{{- $edges = append $edges (dict "from" "test-r2r" "to" "r2r" "port" (int $v.r2r.port)) -}}
{{- if $pg }}{{ $edges = append $edges (dict "from" "r2r" "to" "postgresql" "port" $pgPort) }}{{ end -}}
{{- if and $gw $v.r2r.useGateway }}{{ $edges = append $edges (dict "from" "r2r" "to" "litellm" "port" $gwPort) }}{{ end -}}
{{- if $v.r2r.expose.enabled }}{{ $exposed = append $exposed "r2r" }}{{ end -}}
{{- if has "r2r" $ext }}{{ $external = append $external "r2r" }}{{ end -}}
{{- end -}}
{{- /* Generic apps */ -}}
{{- if $v.apps.enabled -}}
{{- range $key, $wl := $v.apps.workloads -}}
{{- $w := mergeOverwrite (deepCopy $v.apps.defaults) (deepCopy $wl) -}}
{{- if (hasKey $wl "enabled" | ternary $wl.enabled true) -}}
{{- $p := int $w.port -}}
{{- $_ := set $ports $key (list $p) -}}
{{- $edges = append $edges (dict "from" (printf "test-%s" $key) "to" $key "port" (int (($w.service | default dict).port | default $p))) -}}
{{- if and $pg $w.database }}{{ $edges = append $edges (dict "from" $key "to" "postgresql" "port" $pgPort) }}{{ end -}}
{{- if and $redis $w.useRedis }}{{ $edges = append $edges (dict "from" $key "to" "redis" "port" $redisPort) }}{{ end -}}
{{- if and $gw $w.useGateway }}{{ $edges = append $edges (dict "from" $key "to" "litellm" "port" $gwPort) }}{{ end -}}
{{- range $c := ($w.connectsTo | default list) }}{{ $edges = append $edges (dict "from" $key "to" $c.to "port" (int $c.port)) }}{{ end -}}
{{- if $w.expose.enabled }}{{ $exposed = append $exposed $key }}{{ end -}}
{{- if and $monitoring $w.metrics.enabled }}{{ $scraped = append $scraped (dict "name" $key "port" $p) }}{{ end -}}
{{- if or (has $key $ext) $w.externalEgress }}{{ $external = append $external $key }}{{ end -}}
{{- if $w.rbac.rules }}{{ $api = append $api $key }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "edges" $edges "ports" $ports "exposed" $exposed "scraped" $scraped "external" $external "apiServer" $api) -}}
{{- end -}}
