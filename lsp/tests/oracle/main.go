// drone-oracle: evaluates templates with github.com/drone/envsubst (Flux's envsubst is a
// fork of it) for the differential test lsp/tests/subst_oracle.rs.
//
// Input: one JSON object per line, {"t": template, "v": {name: value}} (names not in "v" are
// unset and read as ""). Output: one JSON object per line, {"out_hex": hex of the result}
// or {"err": parse error} or {"panic": message}.
//
// Built offline in GOPATH mode against Debian's golang-github-drone-envsubst-dev:
// GO111MODULE=off GOPATH=/usr/share/gocode go build -o drone-oracle main.go
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/drone/envsubst"
)

type input struct {
	T string            `json:"t"`
	V map[string]string `json:"v"`
}

type output struct {
	OutHex *string `json:"out_hex,omitempty"`
	Err    string  `json:"err,omitempty"`
	Panic  string  `json:"panic,omitempty"`
}

func run(in input) (res output) {
	defer func() {
		if p := recover(); p != nil {
			res = output{Panic: fmt.Sprint(p)}
		}
	}()
	out, err := envsubst.Eval(in.T, func(name string) string { return in.V[name] })
	if err != nil {
		return output{Err: err.Error()}
	}
	h := hex.EncodeToString([]byte(out))
	return output{OutHex: &h}
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for sc.Scan() {
		var in input
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			fmt.Fprintln(os.Stderr, "bad input line:", err)
			os.Exit(2)
		}
		if err := enc.Encode(run(in)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
