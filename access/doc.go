// Package access is who may do what through the admin API: scoped tokens
// (a role and the fabrics it covers, stored only as SHA-256 hashes in Redis)
// and the audit stream of every mutating admin call.
//
// The exported JSON types (TokenInfo, CreatedToken, TokenList, AuditEntry,
// AuditLog) are the shapes the API answers and fgdctl decodes.
package access
