// Package access is who may do what through the admin API: scoped tokens
// (a role and the fabrics it covers, stored only as SHA-256 hashes in Redis)
// and the audit stream of every mutating admin call.
//
// The JSON types (Role, CreateRequest, TokenInfo, CreatedToken, TokenList,
// AuditEntry, AuditLog) are aliases of adminapi's: the shapes the API
// answers and fgdctl decodes, declared where fgdctl can link them without
// Redis.
package access
