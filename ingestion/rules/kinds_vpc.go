package rules

// vpcKinds: IPv4Namespace, VLANNamespace, VPC, VPCAttachment, VPCPeering.
var vpcKinds = map[string]kindRules{}
