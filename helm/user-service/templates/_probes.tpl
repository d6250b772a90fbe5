{{/*
user-service.apiProbe is one of the API's probes; call with (list $ timings httpPath). It asks
grpc.health.v1 on the service port with the kubelet's native gRPC probe (cleartext HTTP/2, as the
server speaks it; the probe takes a port number only). The kubelet's gRPC probe cannot speak TLS,
so with tls.enabled it asks httpPath on the admin port, which is always plain HTTP.
*/}}
{{- define "user-service.apiProbe" -}}
{{- $ := index . 0 }}
{{- if $.Values.tls.enabled }}
httpGet:
  path: {{ index . 2 }}
  port: admin
{{- else }}
grpc:
  port: {{ $.Values.service.port }}
{{- end }}
{{ toYaml (index . 1) }}
{{- end }}

{{/* user-service.adminProbe asks path on the admin port (the workers serve no gRPC); call with (list timings path). */}}
{{- define "user-service.adminProbe" -}}
httpGet:
  path: {{ index . 1 }}
  port: admin
{{ toYaml (index . 0) }}
{{- end }}
