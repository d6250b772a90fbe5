{{/*
Where the containers find their files. The *_FILE variables name these paths, so they are derived
here and never set by hand in values.config.
*/}}
{{- define "user-service.paths" -}}
keys: /etc/user-service/keys
tls: /etc/user-service/tls
files: /etc/user-service/files
reference: /var/lib/user-service/reference
data: /var/lib/user-service/data
tmp: /tmp
{{- end }}

{{/*
user-service.configValue renders a value as an environment variable: whole numbers without an
exponent, and booleans as on/off, since values files read an unquoted `off` as false.
*/}}
{{- define "user-service.configValue" -}}
{{- if kindIs "bool" . }}
{{- ternary "on" "off" . }}
{{- else if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
user-service.configData is every non-secret environment variable: values.config plus what the chart
decides (ports, DATA_DIR and the files it mounts). An empty value takes the service's default. The
ConfigMap holds it, and the migration Job renders it inline (see migrate-job.yaml).
*/}}
{{- define "user-service.configData" -}}
{{- $paths := include "user-service.paths" . | fromYaml }}
{{- $data := dict }}
{{- range $name, $value := .Values.config }}
{{- $_ := set $data $name (include "user-service.configValue" $value) }}
{{- end }}
{{- $_ := set $data "PORT" (include "user-service.configValue" .Values.service.port) }}
{{- $_ := set $data "ADMIN_PORT" (include "user-service.configValue" .Values.service.adminPort) }}
{{- $_ := set $data "DATA_DIR" $paths.data }}
{{- $_ := set $data "JWT_PRIVATE_KEY_FILE" (printf "%s/%s" $paths.keys .Values.jwt.signingKey) }}
{{- $previous := list }}
{{- range .Values.jwt.previousKeys }}
{{- $previous = append $previous (printf "%s/%s" $paths.keys .) }}
{{- end }}
{{- $_ := set $data "JWT_PREVIOUS_KEY_FILES" (join "," $previous) }}
{{- $_ := set $data "TLS_CERT_FILE" (ternary (printf "%s/tls.crt" $paths.tls) "" .Values.tls.enabled) }}
{{- $_ := set $data "TLS_KEY_FILE" (ternary (printf "%s/tls.key" $paths.tls) "" .Values.tls.enabled) }}
{{- $_ := set $data "ONBOARDING_STEPS_FILE" (ternary (printf "%s/onboarding-steps.json" $paths.files) "" (ne .Values.files.onboardingSteps "")) }}
{{- $_ := set $data "RISKY_NETWORKS_FILE" (ternary (printf "%s/risky-networks.txt" $paths.files) "" (ne .Values.files.riskyNetworks "")) }}
{{- $ref := .Values.referenceData }}
{{- $_ := set $data "GEOIP_DB_FILE" (ternary (printf "%s/%s" $paths.reference $ref.geoipDb) "" (ne $ref.geoipDb "")) }}
{{- $_ := set $data "SANCTIONS_LIST_FILE" (ternary (printf "%s/%s" $paths.reference $ref.sanctionsList) "" (ne $ref.sanctionsList "")) }}
{{- $_ := set $data "PEP_LIST_FILE" (ternary (printf "%s/%s" $paths.reference $ref.pepList) "" (ne $ref.pepList "")) }}
{{- toYaml $data }}
{{- end }}

{{/*
user-service.secretEnv reads the secret variables from a Secret, one key per variable; call with
(list $ secretName names optional).
*/}}
{{- define "user-service.secretEnv" -}}
{{- $secret := index . 1 }}
{{- $optional := index . 3 }}
{{- range index . 2 }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
      optional: {{ $optional }}
{{- end }}
{{- end }}

{{/* user-service.env is the environment of the API and worker containers. */}}
{{- define "user-service.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "user-service.fullname" . }}
env:
{{- include "user-service.secretEnv" (list . (include "user-service.secretName" .) .Values.secrets.required false) | trim | nindent 2 }}
{{- include "user-service.secretEnv" (list . (include "user-service.secretName" .) .Values.secrets.optional true) | trim | nindent 2 }}
{{- with .Values.extraEnv }}
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
