package main

import (
	"fmt"
	"net/netip"
)

// Plan is the JSON that sidecar/capture/rules.ts builds (type CapturePlan there).
type Plan struct {
	Table  string  `json:"table"`
	Chains []Chain `json:"chains"`
}

type Chain struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // nat | filter
	Hook     string `json:"hook"` // prerouting | output
	Priority int32  `json:"priority"`
	Rules    []Rule `json:"rules"`
}

type Rule struct {
	// Comment names the rule in `capture show` and carries the plan's digest, so an unchanged
	// plan is recognised by comments alone.
	Comment string  `json:"comment"`
	Match   []Cond  `json:"match"`
	Verdict RuleEnd `json:"verdict"`
}

// Cond is one test on a packet; all of a rule's conditions must hold.
type Cond struct {
	Kind   string `json:"kind"` // l4proto | dport | skuid | oifname | iifname | daddr
	Value  any    `json:"value"`
	Negate bool   `json:"negate,omitempty"`
}

type RuleEnd struct {
	Kind string `json:"kind"` // accept | return | drop | redirect
	Port uint16 `json:"port,omitempty"`
}

// State is what `show` prints and what `apply` compares: chains and their rules' comments.
type State struct {
	Table   string       `json:"table"`
	Present bool         `json:"present"`
	Chains  []ChainState `json:"chains"`
}

type ChainState struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Hook     string   `json:"hook"`
	Priority int32    `json:"priority"`
	Rules    []string `json:"rules"`
}

var protocols = map[string]byte{"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}

// state checks the plan the way the kernel would, before anything is sent, and gives the state
// that the kernel will hold once it is installed.
func (p Plan) state() (State, error) {
	if !validName(p.Table) {
		return State{}, fmt.Errorf("plan: table %q is not a name ([a-z_]+)", p.Table)
	}
	s := State{Table: p.Table, Present: true, Chains: []ChainState{}}
	for _, c := range p.Chains {
		if !validName(c.Name) || (c.Type != "nat" && c.Type != "filter") || hooks[c.Hook] == nil {
			return State{}, fmt.Errorf("plan: chain %q: want a name, type nat|filter and hook prerouting|input|output|postrouting", c.Name)
		}
		cs := ChainState{Name: c.Name, Type: c.Type, Hook: c.Hook, Priority: c.Priority, Rules: []string{}}
		for i, r := range c.Rules {
			if _, err := r.exprs(); err != nil {
				return State{}, fmt.Errorf("plan: chain %s rule %d (%s): %w", c.Name, i, r.Comment, err)
			}
			cs.Rules = append(cs.Rules, r.Comment)
		}
		s.Chains = append(s.Chains, cs)
	}
	sortChains(s.Chains)
	return s, nil
}

func number(v any, max float64) (uint32, error) {
	f, ok := v.(float64)
	if !ok || f < 0 || f > max || f != float64(uint32(f)) {
		return 0, fmt.Errorf("%v is not a whole number up to %v", v, max)
	}
	return uint32(f), nil
}

func prefix(v any) (netip.Prefix, error) {
	s, ok := v.(string)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("%v is not an address range", v)
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}
