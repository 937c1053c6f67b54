{{/* The chart's name, or nameOverride. */}}
{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: a DNS label, shared by every object of the release. */}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "switchyard.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "switchyard.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding secret-key and admin-password. */}}
{{- define "switchyard.authSecret" -}}
{{- default (include "switchyard.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{/* Whether the server uses PostgreSQL. */}}
{{- define "switchyard.postgres" -}}
{{- if or .Values.database.url .Values.database.existingSecret }}true{{ end }}
{{- end }}

{{/* The Secret holding the database URL, and its key. */}}
{{- define "switchyard.databaseSecret" -}}
{{- default (printf "%s-database" (include "switchyard.fullname" .)) .Values.database.existingSecret }}
{{- end }}
{{- define "switchyard.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}database-url{{ end }}
{{- end }}

{{/* Refuses values that cannot work, saying which and why. */}}
{{- define "switchyard.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "switchyard.postgres" .)) }}
{{- fail "replicaCount > 1 needs PostgreSQL: set database.url or database.existingSecret (SQLite lives in one pod's data directory)" }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) .Values.persistence.enabled (has "ReadWriteOnce" .Values.persistence.accessModes) }}
{{- fail "replicaCount > 1 cannot share a ReadWriteOnce data volume: with PostgreSQL set persistence.enabled=false" }}
{{- end }}
{{- end }}
