package ingestion

import (
	"strconv"

	yamlv3 "go.yaml.in/yaml/v3"
)

// lineOf returns the 1-based line, within a document's text, of the value at
// path (or of the deepest part of path that exists). It parses the text only
// when an error needs a line, so the happy path never pays for it.
func lineOf(doc []byte, path []string) int {
	if len(path) == 0 {
		return firstContentLine(doc)
	}
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 {
		return firstContentLine(doc)
	}
	n := root.Content[0]
	line := n.Line
	for _, seg := range path {
		for n.Kind == yamlv3.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yamlv3.MappingNode:
			var next *yamlv3.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
			if next == nil {
				return line
			}
			n = next
		case yamlv3.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

// firstContentLine is the line of the first line that is neither blank nor a
// comment: where a document really starts.
func firstContentLine(doc []byte) int {
	line := 1
	start := 0
	for i := 0; i <= len(doc); i++ {
		if i == len(doc) || doc[i] == '\n' {
			text := doc[start:i]
			for len(text) > 0 && (text[0] == ' ' || text[0] == '\t' || text[0] == '\r') {
				text = text[1:]
			}
			if len(text) > 0 && text[0] != '#' {
				return line
			}
			line++
			start = i + 1
		}
	}
	return 1
}

// listItemLines returns the 1-based line of each item of a List document,
// parsing the text once; 0 where it cannot tell.
func listItemLines(doc []byte, n int) []int {
	lines := make([]int, n)
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yamlv3.MappingNode {
		return lines
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "items" && m.Content[i+1].Kind == yamlv3.SequenceNode {
			for j, item := range m.Content[i+1].Content {
				if j < n {
					lines[j] = item.Line
				}
			}
		}
	}
	return lines
}
