package rules

// vpcKinds: IPv4Namespace, VLANNamespace, VPC, VPCAttachment, VPCPeering.
var vpcKinds = map[string]kindRules{
	"IPv4Namespace": {defaults: ipv4NamespaceDefaults, local: ipv4NamespaceLocal, update: ipv4NamespaceUpdate, deleted: ipv4NamespaceDeleted},
	"VLANNamespace": {defaults: vlanNamespaceDefaults, local: vlanNamespaceLocal, update: vlanNamespaceUpdate, deleted: vlanNamespaceDeleted},
	"VPC":           {defaults: vpcDefaults, local: vpcLocal, cross: vpcCross, deleted: vpcDeleted},
	"VPCAttachment": {defaults: vpcAttachmentDefaults, local: vpcAttachmentLocal, cross: vpcAttachmentCross},
	"VPCPeering":    {local: vpcPeeringLocal, cross: vpcPeeringCross},
}
