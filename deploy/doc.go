// Package deploy holds what operators deploy next to fgd-sync: Prometheus
// alert rules (prometheus/alerts.yaml, tested by prometheus/alerts_test.yaml)
// and a Grafana dashboard (grafana/fgd-sync.json). It has no Go code; its
// tests run promtool on the rules and check that the rules and the
// dashboard query only metrics fgd-sync exports.
package deploy
