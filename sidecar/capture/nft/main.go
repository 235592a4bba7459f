// mcp-residency-nft: applies, removes and shows the capture rules of one pod's network namespace.
//
// The plan (which chains, which rules, in which order) is built and checked by the TypeScript side
// (sidecar/capture/rules.ts); this helper only translates its few rule shapes into nf_tables
// expressions and talks netlink, because the distroless image has no nft or iptables binary.
// Everything lives in one table of our own, replaced in a single netlink batch, so a pod never
// sees half a rule set and removing it never touches anyone else's rules.
//
//	mcp-residency-nft apply  < plan.json   -> {"changed":true|false}
//	mcp-residency-nft remove TABLE         -> {"removed":true|false}
//	mcp-residency-nft show   TABLE         -> the table as the kernel holds it (chains, rule comments)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "mcp-residency-nft: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: mcp-residency-nft apply < plan.json | remove TABLE | show TABLE")
	}
	enc := json.NewEncoder(stdout)
	switch args[0] {
	case "apply":
		var plan Plan
		dec := json.NewDecoder(stdin)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&plan); err != nil {
			return fmt.Errorf("reading the plan on stdin: %w", err)
		}
		changed, err := apply(plan)
		if err != nil {
			return err
		}
		return enc.Encode(map[string]bool{"changed": changed})
	case "remove", "show":
		if len(args) != 2 || !validName(args[1]) {
			return fmt.Errorf("%s needs one table name ([a-z_]+)", args[0])
		}
		if args[0] == "remove" {
			removed, err := remove(args[1])
			if err != nil {
				return err
			}
			return enc.Encode(map[string]bool{"removed": removed})
		}
		state, err := current(args[1])
		if err != nil {
			return err
		}
		return enc.Encode(state)
	}
	return fmt.Errorf("unknown command %q (apply, remove, show)", args[0])
}

// apply replaces the table with the plan unless the kernel already holds exactly the plan.
func apply(plan Plan) (bool, error) {
	want, err := plan.state()
	if err != nil {
		return false, err
	}
	have, err := current(plan.Table)
	if err != nil {
		return false, err
	}
	if reflect.DeepEqual(want, have) {
		return false, nil
	}
	return true, install(plan, have.Present)
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}
