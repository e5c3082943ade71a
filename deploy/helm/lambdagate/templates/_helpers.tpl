{{/* The release's name for its objects. */}}
{{- define "lambdagate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lambdagate.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lambdagate.labels" -}}
{{ include "lambdagate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lambdagate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lambdagate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The file, as JSON, with the Redis pool added when redis.address is set. */}}
{{- define "lambdagate.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if .Values.redis.address -}}
{{- $extra := default (dict) (get $cfg "extra_config") -}}
{{- $pool := dict "name" .Values.redis.poolName "address" .Values.redis.address -}}
{{- $_ := set $extra "redis" (dict "connection_pools" (list $pool)) -}}
{{- $_ := set $cfg "extra_config" $extra -}}
{{- end -}}
{{- toPrettyJson $cfg -}}
{{- end -}}

{{/* LAMBDAGATE_REDIS_PASSWORD_<NAME>: the pool's name in capitals, other characters "_". */}}
{{- define "lambdagate.redisPasswordEnv" -}}
{{- printf "LAMBDAGATE_REDIS_PASSWORD_%s" (regexReplaceAll "[^A-Z0-9]" (upper .Values.redis.poolName) "_") -}}
{{- end -}}
