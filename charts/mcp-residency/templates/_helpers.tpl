{{/*
Names and labels. Every object name derives from the full name, so the operator's flags, its
RBAC resourceNames and the objects it patches always agree.
*/}}

{{- define "mcp-residency.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or <release> when it already contains the chart name; at most 45
characters, so every "<fullname>-<suffix>" below stays within 63. */}}
{{- define "mcp-residency.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mcp-residency.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcp-residency.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-residency.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mcp-residency.labels" -}}
helm.sh/chart: {{ include "mcp-residency.chart" . }}
{{ include "mcp-residency.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mcp-residency
{{- end }}

{{/* The operator's pods (the Deployment's selector, the PDB, the Services, anti-affinity). */}}
{{- define "mcp-residency.operatorSelectorLabels" -}}
{{ include "mcp-residency.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "mcp-residency.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mcp-residency.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The names the operator is told about (flags) and holds RBAC for (resourceNames). */}}
{{- define "mcp-residency.webhookConfigName" -}}{{ include "mcp-residency.fullname" . }}{{- end }}
{{- define "mcp-residency.webhookServiceName" -}}{{ include "mcp-residency.fullname" . }}-webhook{{- end }}
{{- define "mcp-residency.metricsServiceName" -}}{{ include "mcp-residency.fullname" . }}-metrics{{- end }}
{{- define "mcp-residency.tlsSecretName" -}}{{ include "mcp-residency.fullname" . }}-webhook-tls{{- end }}
{{- define "mcp-residency.leaseName" -}}{{ include "mcp-residency.fullname" . }}-operator{{- end }}
{{- define "mcp-residency.sidecarRbacName" -}}{{ include "mcp-residency.fullname" . }}-sidecar{{- end }}

{{- define "mcp-residency.imageRef" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository .tag }}
{{- end }}
{{- end }}

{{- define "mcp-residency.image" -}}
{{- include "mcp-residency.imageRef" (dict "repository" .Values.image.repository "tag" (.Values.image.tag | default .Chart.AppVersion) "digest" .Values.image.digest) }}
{{- end }}

{{/* The sidecar: the operator's image unless sidecar.image says otherwise. */}}
{{- define "mcp-residency.sidecarImage" -}}
{{- $s := .Values.sidecar.image }}
{{- if or $s.repository $s.tag $s.digest }}
{{- include "mcp-residency.imageRef" (dict "repository" ($s.repository | default .Values.image.repository) "tag" ($s.tag | default .Values.image.tag | default .Chart.AppVersion) "digest" $s.digest) }}
{{- else }}
{{- include "mcp-residency.image" . }}
{{- end }}
{{- end }}

{{/* Namespaces whose pods are never injected: the system ones, the release's, and excludeNamespaces. */}}
{{- define "mcp-residency.excludedNamespaces" -}}
{{- $ns := concat (list "kube-system" "kube-public" "kube-node-lease" .Release.Namespace) .Values.excludeNamespaces | uniq }}
{{- toJson $ns }}
{{- end }}

{{/* webhook.namespaceSelector's matchExpressions, plus `extra` (a list), as one selector. */}}
{{- define "mcp-residency.namespaceSelector" -}}
{{- $user := .root.Values.webhook.namespaceSelector | default dict }}
{{- $exprs := concat (.extra | default list) ($user.matchExpressions | default list) }}
{{- $sel := dict }}
{{- if $user.matchLabels }}{{- $_ := set $sel "matchLabels" $user.matchLabels }}{{- end }}
{{- if $exprs }}{{- $_ := set $sel "matchExpressions" $exprs }}{{- end }}
{{- toYaml $sel }}
{{- end }}

{{- define "mcp-residency.webhookClientConfig" -}}
service:
  name: {{ include "mcp-residency.webhookServiceName" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: 443
{{- end }}
