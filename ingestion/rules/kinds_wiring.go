package rules

// wiringKinds: External, ExternalAttachment, ExternalPeering, Connection,
// Switch, SwitchProfile, SwitchGroup, Server, ServerProfile.
var wiringKinds = map[string]kindRules{}
