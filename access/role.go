package access

import (
	"slices"

	"github.com/githedgehog/fgd-sync/adminapi"
)

// Role is what a token may do; the type, with its methods, is declared in
// adminapi so that fgdctl shares it without linking Redis.
type Role = adminapi.Role

// The roles.
const (
	RoleRead    = adminapi.RoleRead
	RoleTrigger = adminapi.RoleTrigger
	RoleAdmin   = adminapi.RoleAdmin
)

// AllFabrics is the scope of a token that covers every fabric.
const AllFabrics = adminapi.AllFabrics

// BootstrapName is the name under which the HEDGEHOG_FGD_ADMIN_TOKEN acts;
// no stored token may take it.
const BootstrapName = "bootstrap-admin"

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
