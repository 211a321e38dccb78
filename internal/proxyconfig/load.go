package proxyconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sources are where Load reads settings from; each beats the one before.
type Sources struct {
	// File is the YAML file's path; "" means none.
	File string
	// LookupEnv reads the environment (os.LookupEnv); nil means none.
	LookupEnv func(string) (string, bool)
	// Flags are the command-line values that were set; nil means not set.
	Flags map[string]string
}

// Error is an invalid configuration: every problem found, each naming its
// field and where the value came from.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// Load reads the file, then the environment, then the flags, fills the
// defaults and validates the result. A returned *Error lists every problem.
func Load(src Sources) (*Config, error) {
	c := &Config{origin: origins{}}
	var problems []string
	if src.File != "" {
		data, err := os.ReadFile(src.File)
		if err != nil {
			return nil, fmt.Errorf("reading the config file: %w", err)
		}
		problems = append(problems, c.decode(src.File, data)...)
	}
	if src.LookupEnv != nil {
		problems = append(problems, c.applyEnv(src.LookupEnv)...)
	}
	problems = append(problems, c.applyFlags(src.Flags)...)
	c.applyDefaults()
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// decode strictly decodes a YAML document into c and returns its problems,
// each as "file:line: field.path: message".
func (c *Config) decode(file string, data []byte) []string {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []string{file + ": " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	byLine := map[int]string{}
	c.origin.walk(&root, "", file, byLine)

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if err == nil || errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []string{file + ": " + err.Error()}
	}
	problems := make([]string, 0, len(te.Errors))
	for _, msg := range te.Errors {
		problems = append(problems, describeDecodeError(file, msg, byLine))
	}
	return problems
}

var (
	lineMsg      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type`)
)

// describeDecodeError turns one of the decoder's "line N: ..." messages into
// "file:N: field.path: ...", with the path of the key on that line.
func describeDecodeError(file, msg string, byLine map[int]string) string {
	m := lineMsg.FindStringSubmatch(msg)
	if m == nil {
		return file + ": " + msg
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	if u := unknownField.FindStringSubmatch(text); u != nil {
		text = "unknown field " + strconv.Quote(u[1]) + " (misspelt, or not an option here)"
	}
	at := file + ":" + m[1] + ": "
	if path, ok := byLine[line]; ok {
		return at + path + ": " + text
	}
	return at + text
}

// origins maps a field path ("redis.url") to where its value came from:
// "config.yaml:12", "IDEMPROXY_REDIS", "-redis".
type origins map[string]string

// walk records the origin of every key of the document under prefix, and
// the path of the first key on each line.
func (o origins) walk(n *yaml.Node, prefix, file string, byLine map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			o.walk(c, prefix, file, byLine)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			o[path] = file + ":" + strconv.Itoa(k.Line)
			if _, taken := byLine[k.Line]; !taken {
				byLine[k.Line] = path
			}
			o.walk(v, path, file, byLine)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			path := prefix + "[" + strconv.Itoa(i) + "]"
			o[path] = file + ":" + strconv.Itoa(item.Line)
			if item.Kind == yaml.ScalarNode {
				if _, taken := byLine[item.Line]; !taken {
					byLine[item.Line] = path
				}
			}
			o.walk(item, path, file, byLine)
		}
	}
}

// problem formats a validation problem of the field at path, naming where
// its value came from when it was set.
func (c *Config) problem(path, format string, args ...any) string {
	msg := path + ": " + fmt.Sprintf(format, args...)
	if from, ok := c.origin[path]; ok {
		return from + ": " + msg
	}
	return msg
}
