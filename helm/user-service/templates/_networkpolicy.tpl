{{/*
user-service.egressRules are the destinations every pod of the release may reach: DNS, Postgres,
Redis and networkPolicy.egress.extra; call with (list $ withRedis withExtra).
*/}}
{{- define "user-service.egressRules" -}}
{{- $ := index . 0 }}
{{- $egress := $.Values.networkPolicy.egress }}
- ports:
    - port: {{ $egress.dns.port }}
      protocol: UDP
    - port: {{ $egress.dns.port }}
      protocol: TCP
  {{- with $egress.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - port: {{ $egress.postgres.port }}
      protocol: TCP
  {{- with $egress.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if index . 1 }}
- ports:
    - port: {{ $egress.redis.port }}
      protocol: TCP
  {{- with $egress.redis.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- if index . 2 }}
{{- with $egress.extra }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end }}
