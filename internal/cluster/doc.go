// Package cluster connects Switchyard to the Kubernetes clusters it releases
// to: it registers a cluster (validating, probing and storing its kubeconfig
// sealed with a Keyring), re-probes every cluster periodically, and keeps one
// Conn per reachable cluster. Its informer caches serve the resource pickers
// and the job views (Manager.Conn waits for them); its clients serve job
// creation and operations, which talk to the API server directly and never
// wait for a cache (Manager.Client). The Argo Rollouts facts Switchyard relies
// on are written once, in argo.go.
//
// Kubeconfigs are sealed before they reach the store and opened only in
// memory; they are never logged and never returned. A registered kubeconfig is
// self-contained: RegisterFromPath inlines the files it references, and
// Register refuses references to files and credential plugins (exec,
// auth-provider), which would make the server read its own files or run
// commands on an administrator's behalf.
//
// Informers use plain LIST + WATCH: the client-side streaming list
// (WatchListClient feature) is off by default in client-go v0.34 and this
// package does not turn it on.
package cluster
