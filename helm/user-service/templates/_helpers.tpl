{{/* user-service.name is the chart's name, or nameOverride. */}}
{{- define "user-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* user-service.fullname names the release's objects; Kubernetes names stop at 63 characters. */}}
{{- define "user-service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* user-service.selectorLabels pick the release's pods; they never change, since selectors are immutable. */}}
{{- define "user-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "user-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* user-service.labels go on every object. */}}
{{- define "user-service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "user-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trading-platform
{{- end }}

{{/* user-service.componentLabels are labels plus app.kubernetes.io/component; call with (list $ "api"). */}}
{{- define "user-service.componentLabels" -}}
{{ include "user-service.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* user-service.componentSelector selects one component's pods; call with (list $ "api"). */}}
{{- define "user-service.componentSelector" -}}
{{ include "user-service.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* user-service.image is the image reference, the digest winning over the tag. */}}
{{- define "user-service.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* user-service.serviceAccountName is the pods' ServiceAccount. */}}
{{- define "user-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "user-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* user-service.secretName is the Secret holding the secret variables and signing keys. */}}
{{- define "user-service.secretName" -}}
{{- default (include "user-service.fullname" .) .Values.secrets.existingSecret }}
{{- end }}
