package cluster

import rbacv1 "k8s.io/api/rbac/v1"

// Permissions are the Kubernetes API rights Switchyard uses in a cluster,
// and no more: what the Conn's informers list and watch, and what release
// jobs read and write (no Secrets, no ConfigMaps). The Helm chart's
// ClusterRole (deploy/helm/switchyard/templates/rbac.yaml) grants exactly
// these; test/install renders it, compares, and runs a job's whole life with
// a token bound to it. Server-side apply needs create as well as patch the
// first time it makes an object (the preview Service, the Rollout).
var Permissions = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "update"}},
	{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{RolloutGVR.Group}, Resources: []string{RolloutGVR.Resource}, Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}},
	{APIGroups: []string{RolloutGVR.Group}, Resources: []string{RolloutGVR.Resource + "/status"}, Verbs: []string{"patch"}},
	{APIGroups: []string{AnalysisTemplateGVR.Group}, Resources: []string{AnalysisTemplateGVR.Resource}, Verbs: []string{"list", "create", "patch", "delete"}},
	{APIGroups: []string{AnalysisRunGVR.Group}, Resources: []string{AnalysisRunGVR.Resource}, Verbs: []string{"list", "watch"}},
}
