package rules

// kinds is the rule table: one entry per Hedgehog kind. Each kind's
// functions live in the file named after it.
var kinds = map[string]kindRules{
	// Filled by the kind files, for example:
	// "VPC": {defaults: defaultVPC, local: localVPC, cross: crossVPC},
}
