package rules

// SwitchGroup, Server and ServerProfile (wiring.githedgehog.com): SG-1,
// SRV-1, SRVP-1. They carry only the META rules; a Server also may not be
// deleted while a Connection uses it.

func switchGroupLocal(o *Object, _ *FabricConfig) []Finding { return metaRules(o, "SG-1") }

func serverLocal(o *Object, _ *FabricConfig) []Finding { return metaRules(o, "SRV-1") }

func serverProfileLocal(o *Object, _ *FabricConfig) []Finding { return metaRules(o, "SRVP-1") }

// serverDeleted: SRV-1's [webhook, delete] half.
func serverDeleted(o *Object, s *Set) []Finding {
	return wiringStillReferenced(o, "SRV-1", wiringQuoted("Connection", connectionIndex(s).byServer[o.Name]))
}
