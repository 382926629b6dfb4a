// Package chaos holds fgd-sync's fault suite (build tag chaos, run by
// `make chaos`): real Redis master, replicas and Sentinels, the real webhook
// and worker binaries, a local git http-backend, signed push deliveries under
// load, and Redis failovers, a killed master, a killed worker and a failing
// git server in the middle of it. It checks that no delivery answered 2xx is
// lost and that no sync commits twice.
package chaos
