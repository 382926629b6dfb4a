package ingestion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"

	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion/rules"
)

// FabricConfigPath holds the fabric-wide settings that Hedgehog's [cfg]
// rules need (reserved subnets, VLAN ranges, ASNs, …), under Hedgehog's
// fabric config keys.
const FabricConfigPath = ".hnp/fabric.yaml"

var jsonUnknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// ParseFabricConfig reads a fabric config file strictly: an unknown key is
// an error naming its line. A file without any key (empty, or only
// comments, as fgdctl init writes it) gives nil: the [cfg] rules are then
// skipped, as they are without a file. Hedgehog reads the keys of a file
// with keys as its fabric config, so a key left out counts as empty.
func ParseFabricConfig(data []byte) (*rules.FabricConfig, *Issue) {
	fail := func(line int, format string, args ...any) (*rules.FabricConfig, *Issue) {
		return nil, &Issue{Code: fgderr.SchemaValidation, File: FabricConfigPath, Line: line, Message: fmt.Sprintf(format, args...)}
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, &Issue{Code: fgderr.InvalidYAML, File: FabricConfigPath, Line: yamlErrorLine(err), Message: cleanYAMLError(err)}
	}
	js = bytes.TrimSpace(js)
	if len(js) == 0 || bytes.Equal(js, []byte("null")) {
		return nil, nil
	}
	if js[0] != '{' {
		return fail(firstContentLine(data), "the fabric config must be a map of Hedgehog fabric config keys (fabricMode, reservedSubnets, …)")
	}
	if bytes.Equal(js, []byte("{}")) {
		return nil, nil
	}
	var cfg rules.FabricConfig
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		if m := jsonUnknownField.FindStringSubmatch(err.Error()); m != nil {
			return fail(lineOf(data, []string{m[1]}), "unknown key %q; the keys are Hedgehog's fabric config keys, listed in the file fgdctl init writes", m[1])
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(lineOf(data, []string{te.Field}), "%s must be %s", te.Field, jsonTypeName(te.Type.Kind().String()))
		}
		return fail(firstContentLine(data), "%v", err)
	}
	return &cfg, nil
}

func jsonTypeName(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct":
		return "a map"
	default:
		return "a whole number"
	}
}

// loadFabricConfig returns the fabric config for a run: the one given in
// the options, else the FGD's .hnp/fabric.yaml, else nil.
func loadFabricConfig(fsys fs.FS, opts Options, plan *Plan) *rules.FabricConfig {
	if opts.FabricConfig != nil {
		return opts.FabricConfig
	}
	info, err := lstat(fsys, FabricConfigPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.Symlink, File: FabricConfigPath,
			Message: "is a symlink and is not read; the rules that need the fabric config were skipped: replace it with the file itself"})
		return nil
	case err == nil && !info.Mode().IsRegular():
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: FabricConfigPath, Message: "must be a file"})
		return nil
	case err != nil:
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: FabricConfigPath, Message: "cannot be read: " + err.Error()})
		return nil
	case info.Size() > DefaultMaxFileBytes:
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.LimitExceeded, File: FabricConfigPath,
			Message: fmt.Sprintf("the file is %d bytes; the limit is %d bytes", info.Size(), DefaultMaxFileBytes)})
		return nil
	}
	data, err := fs.ReadFile(fsys, FabricConfigPath)
	if err != nil {
		plan.Errors = append(plan.Errors, Issue{Code: fgderr.InvalidStructure, File: FabricConfigPath, Message: "cannot be read: " + err.Error()})
		return nil
	}
	cfg, issue := ParseFabricConfig(data)
	if issue != nil {
		issue.Message += "; the rules that need the fabric config were skipped"
		plan.Errors = append(plan.Errors, *issue)
	}
	return cfg
}

// FabricConfigTemplate is the .hnp/fabric.yaml that fgdctl init writes:
// every key commented out, so the [cfg] rules stay off until someone
// uncomments the keys of their fabric.
func FabricConfigTemplate() []byte { return []byte(fabricConfigTemplate) }

// The values are the defaults of Hedgehog's installer (githedgehog/fabricator:
// pkg/fab/defaults.go, and the fabric config it derives in
// pkg/fab/comp/fabric), read at the time this was written. They are
// examples: a fabric installed with other values must use its own.
const fabricConfigTemplate = `# Fabric-wide settings for the rules that need them (the [cfg] rules of
# Hedgehog's validation): reserved subnets, VLAN ranges, ASNs, the addresses
# switches get. The keys are Hedgehog's fabric config keys.
#
# Every key is commented out, so those rules are skipped. To turn them on,
# uncomment the keys and set them to your fabric's values (the fabric
# config your Hedgehog installer wrote into the fabric-ctrl-config
# ConfigMap). Once any key is set, a key left out counts as empty, as it
# does in Hedgehog.
#
# The values shown are the defaults of Hedgehog's installer (fabricator);
# check them against your fab.yaml.

# fabricMode: spine-leaf
# fabricMTU: 9100
# serverFacingMTUOffset: 64
# fabricSubnet: 172.30.128.0/17         # /31 links between switches
# reservedSubnets:                      # no VPC, IPv4Namespace or static route may overlap these
#   - 172.30.0.0/21                     # management
#   - 172.30.128.0/17                   # fabric links
#   - 172.30.8.0/22                     # protocol (loopback) IPs
#   - 172.30.12.0/22                    # VTEP IPs
#   - 172.30.96.0/19                    # VPC workaround links
#   - 172.30.95.0/31                    # MCLAG session
# vpcIRBVLANRange:                      # VLANs the fabric keeps for VPC IRB interfaces
#   - {from: 3000, to: 3899}
# th5WorkaroundVLANRange:
#   - {from: 3900, to: 3999}
# vpcPeeringDisabled: false
# spineASN: 65100
# leafASNStart: 65101
# leafASNEnd: 65533
# protocolSubnet: 172.30.8.0/22
# vtepSubnet: 172.30.12.0/22
# managementSubnet: 172.30.0.0/21
# managementDHCPStart: 172.30.4.0
# controlVIP: 172.30.0.1/32
# enableGateway: false
# allowExtraSwitchProfiles: false
`
