package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// wiringKinds: External, ExternalAttachment, ExternalPeering, Connection,
// Switch, SwitchProfile, SwitchGroup, Server, ServerProfile.
var wiringKinds = map[string]kindRules{
	"External":           {defaults: externalDefaults, local: externalLocal, cross: externalCross, deleted: externalDeleted},
	"ExternalAttachment": {local: externalAttachmentLocal, cross: externalAttachmentCross},
	"ExternalPeering":    {defaults: externalPeeringDefaults, local: externalPeeringLocal, cross: externalPeeringCross},
	"Connection":         {local: connectionLocal, cross: connectionCross, update: connectionUpdate, deleted: connectionDeleted},
	"Switch":             {defaults: switchDefaults, local: switchLocal, cross: switchCross, update: switchUpdate, deleted: switchDeleted},
	"SwitchProfile":      {local: switchProfileLocal},
	"SwitchGroup":        {local: switchGroupLocal},
	"Server":             {local: serverLocal, deleted: serverDeleted},
	"ServerProfile":      {local: serverProfileLocal},
}

// wiringSpec returns o's spec map, creating it so defaults can fill it.
func wiringSpec(o *Object) map[string]any {
	if o.Obj == nil {
		o.Obj = map[string]any{}
	}
	spec, ok := o.Obj["spec"].(map[string]any)
	if !ok {
		spec = map[string]any{}
		o.Obj["spec"] = spec
	}
	return spec
}

// wiringStillReferenced is the warning of a [webhook, delete] rule: o is
// removed while the objects in refs still name it.
func wiringStillReferenced(o *Object, rule string, refs []string) []Finding {
	if len(refs) == 0 {
		return nil
	}
	const shown = 5
	list := strings.Join(refs[:min(len(refs), shown)], ", ")
	if len(refs) > shown {
		list += fmt.Sprintf(" and %d more", len(refs)-shown)
	}
	return []Finding{{Rule: rule, Path: []string{"metadata", "name"}, Severity: Warning,
		Message: fmt.Sprintf("%s %q is removed but is still referenced by %s; Hedgehog refuses the deletion until those are removed or changed", o.Kind, o.Name, list)}}
}

// wiringPath builds a field path from segments, list indexes as decimals.
func wiringPath(segs ...any) []string {
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		switch v := s.(type) {
		case string:
			out = append(out, v)
		case int:
			out = append(out, strconv.Itoa(v))
		case []string:
			out = append(out, v...)
		}
	}
	return out
}
