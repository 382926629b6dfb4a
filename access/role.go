package access

import "slices"

// Role is what a token may do. Each role includes the ones before it.
type Role string

// The roles.
const (
	// RoleRead may GET fabrics, syncs and resources in its scope.
	RoleRead Role = "read"
	// RoleTrigger may also POST /fabrics/{name}/sync in its scope.
	RoleTrigger Role = "trigger"
	// RoleAdmin may do everything: fabrics, tokens, audit, health, the
	// dashboard. An admin token always covers every fabric.
	RoleAdmin Role = "admin"
)

// AllFabrics is the scope of a token that covers every fabric.
const AllFabrics = "*"

// BootstrapName is the name under which the HEDGEHOG_FGD_ADMIN_TOKEN acts;
// no stored token may take it.
const BootstrapName = "bootstrap-admin"

func (r Role) rank() int {
	switch r {
	case RoleRead:
		return 1
	case RoleTrigger:
		return 2
	case RoleAdmin:
		return 3
	default:
		return 0
	}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Includes reports whether a token of role r may do what need allows.
func (r Role) Includes(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// Principal is who made a request: the token's name, role and scope.
type Principal struct {
	Name    string
	Role    Role
	Fabrics []string
}

// Bootstrap is the principal of HEDGEHOG_FGD_ADMIN_TOKEN.
func Bootstrap() Principal {
	return Principal{Name: BootstrapName, Role: RoleAdmin, Fabrics: []string{AllFabrics}}
}

// Covers reports whether fabric is in the principal's scope.
func (p Principal) Covers(fabric string) bool {
	return slices.Contains(p.Fabrics, AllFabrics) || slices.Contains(p.Fabrics, fabric)
}

// Allows reports whether the principal may act with role need on fabric;
// fabric "" is a call that concerns no single fabric.
func (p Principal) Allows(need Role, fabric string) bool {
	return p.Role.Includes(need) && (fabric == "" || p.Covers(fabric))
}
