{{/*
user-service.migrateHook are the annotations of the migration hook's objects; call with (list $ weight).
Objects of a lower weight are made first; before-hook-creation replaces the last run's objects
(a failed Job is kept until then, for its logs), hook-succeeded removes them once the hooks pass.
*/}}
{{- define "user-service.migrateHook" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ index . 1 | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end }}

{{/* user-service.migrateSecretName is the Secret the migration Job reads DATABASE_URL from. */}}
{{- define "user-service.migrateSecretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "user-service.fullname" . }}-migrate
{{- end }}
{{- end }}

{{/* user-service.migrateServiceAccountName is the ServiceAccount the migration Job runs as. */}}
{{- define "user-service.migrateServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "user-service.fullname" . }}-migrate
{{- else }}
{{- include "user-service.serviceAccountName" . }}
{{- end }}
{{- end }}
