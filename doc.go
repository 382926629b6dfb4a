// Package fgdsync is the root of fgd-sync; its only code is the test that
// checks compose.yaml. The service lives in cmd/ and the packages beside it.
package fgdsync
