// Package ingestion turns the raw YAML of an FGD folder into validated,
// normalized resources and a change plan. It is pure: bytes in, a plan out,
// no git, no Redis, no network, and it imports no other fgd-sync package.
package ingestion
