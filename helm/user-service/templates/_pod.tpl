{{/*
user-service.podAnnotations roll the pods when their configuration changes: Deployments only
restart pods whose template changed, and a ConfigMap or Secret edit alone does not change it. An
existingSecret is outside the chart; roll the pods yourself (or with a reloader) when it changes.
*/}}
{{- define "user-service.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/files: {{ include (print .Template.BasePath "/configmap-files.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/* user-service.podSecurity is the pod spec's part shared by every pod the chart runs. */}}
{{- define "user-service.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* user-service.container is the container's part shared by the API, the workers and the migration Job. */}}
{{- define "user-service.container" -}}
image: {{ include "user-service.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end }}

{{/*
user-service.scratchVolumes are the writable directories: the root filesystem is read-only, and
Node and the CLI's exports write to /tmp. DATA_DIR holds nothing with DATABASE_URL set (keys come
from the Secret); it is writable so a misconfigured pod fails on its configuration, not on EROFS.
*/}}
{{- define "user-service.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmp.sizeLimit }}
- name: data
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "user-service.scratchMounts" -}}
{{- $paths := include "user-service.paths" . | fromYaml }}
- name: tmp
  mountPath: {{ $paths.tmp }}
- name: data
  mountPath: {{ $paths.data }}
{{- end }}

{{/* user-service.volumes are the API's and workers' volumes: scratch, signing keys, TLS, files and reference data. */}}
{{- define "user-service.volumes" -}}
{{ include "user-service.scratchVolumes" . }}
- name: keys
  secret:
    secretName: {{ include "user-service.secretName" . }}
    defaultMode: 288 # 0440: the owner and fsGroup read
    items:
      {{- range prepend .Values.jwt.previousKeys .Values.jwt.signingKey }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ required "tls.secretName is required with tls.enabled" .Values.tls.secretName }}
    defaultMode: 288 # 0440: the owner and fsGroup read
{{- end }}
{{- if or .Values.files.onboardingSteps .Values.files.riskyNetworks }}
- name: files
  configMap:
    name: {{ include "user-service.fullname" . }}-files
{{- end }}
{{- if .Values.referenceData.volume }}
- name: reference
  {{- toYaml .Values.referenceData.volume | nindent 2 }}
{{- end }}
{{- end }}

{{- define "user-service.volumeMounts" -}}
{{- $paths := include "user-service.paths" . | fromYaml }}
{{ include "user-service.scratchMounts" . }}
- name: keys
  mountPath: {{ $paths.keys }}
  readOnly: true
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: {{ $paths.tls }}
  readOnly: true
{{- end }}
{{- if or .Values.files.onboardingSteps .Values.files.riskyNetworks }}
- name: files
  mountPath: {{ $paths.files }}
  readOnly: true
{{- end }}
{{- if .Values.referenceData.volume }}
- name: reference
  mountPath: {{ $paths.reference }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
user-service.scheduling places a component's pods; call with (list $ "api" .Values.api). Without
constraints of their own, replicas spread over nodes and zones where the cluster allows.
*/}}
{{- define "user-service.scheduling" -}}
{{- $ := index . 0 }}
{{- $component := index . 1 }}
{{- $values := index . 2 }}
{{- with $values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
{{- if $values.topologySpreadConstraints }}
  {{- toYaml $values.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "user-service.componentSelector" (list $ $component) | trim | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}
