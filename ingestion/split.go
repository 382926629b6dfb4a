package ingestion

import (
	"bytes"
	"fmt"
)

// chunk is one YAML document of a file, as the bytes between separators.
type chunk struct {
	line  int    // 1-based line of the chunk's first line in the file
	bytes []byte // the document's text, without its separator line
}

// splitError is a document-separator problem at a line.
type splitError struct {
	line int
	msg  string
}

func (e *splitError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// splitDocuments splits a file into documents the way kubectl does: a line
// that starts with "---" followed by nothing but spaces or a comment
// separates documents. It goes further than kubectl in one place: content
// after a "..." end marker in the same chunk is an error, because a YAML
// decoder would read only the first document and silently drop the rest.
func splitDocuments(data []byte) ([]chunk, error) {
	var (
		chunks    []chunk
		start     = 0 // byte offset of the current chunk
		startLine = 1
		line      = 1
		ended     = 0 // line of a "..." marker in the current chunk, or 0
	)
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		text := bytes.TrimRight(data[off:next], "\r\n")
		switch {
		case bytes.HasPrefix(text, []byte("---")):
			rest := bytes.TrimSpace(text[3:])
			if len(rest) > 0 && rest[0] != '#' {
				return nil, &splitError{line, "a document separator must stand alone on its line (\"---\" followed by content)"}
			}
			chunks = append(chunks, chunk{line: startLine, bytes: data[start:off]})
			start, startLine, ended = next, line+1, 0
		case bytes.Equal(bytes.TrimRight(text, " \t"), []byte("...")):
			if ended == 0 {
				ended = line
			}
		case ended != 0:
			t := bytes.TrimSpace(text)
			if len(t) > 0 && t[0] != '#' {
				return nil, &splitError{line, fmt.Sprintf("content after the document end marker \"...\" of line %d; separate documents with \"---\"", ended)}
			}
		}
		off = next
		line++
	}
	chunks = append(chunks, chunk{line: startLine, bytes: data[start:]})
	return chunks, nil
}
