package main

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

var hooks = map[string]*nftables.ChainHook{
	"prerouting":  nftables.ChainHookPrerouting,
	"input":       nftables.ChainHookInput,
	"output":      nftables.ChainHookOutput,
	"postrouting": nftables.ChainHookPostrouting,
}

func hookName(h *nftables.ChainHook) string {
	for name, v := range hooks {
		if h != nil && *v == *h {
			return name
		}
	}
	return "none"
}

func sortChains(cs []ChainState) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
}

// One inet table holds IPv4 and IPv6 alike; rules on addresses carry their own family guard.
func table(name string) *nftables.Table {
	return &nftables.Table{Family: nftables.TableFamilyINet, Name: name}
}

func current(name string) (State, error) {
	s := State{Table: name, Chains: []ChainState{}}
	c, err := nftables.New()
	if err != nil {
		return s, err
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return s, fmt.Errorf("listing tables (needs CAP_NET_ADMIN): %w", err)
	}
	for _, t := range tables {
		s.Present = s.Present || t.Name == name
	}
	if !s.Present {
		return s, nil
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return s, err
	}
	for _, ch := range chains {
		if ch.Table.Name != name {
			continue
		}
		cs := ChainState{Name: ch.Name, Type: string(ch.Type), Hook: hookName(ch.Hooknum), Rules: []string{}}
		if ch.Priority != nil {
			cs.Priority = int32(*ch.Priority)
		}
		rules, err := c.GetRules(table(name), ch)
		if err != nil {
			return s, err
		}
		for _, r := range rules {
			comment, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			cs.Rules = append(cs.Rules, comment)
		}
		s.Chains = append(s.Chains, cs)
	}
	sortChains(s.Chains)
	return s, nil
}

// install replaces the table in one batch: the kernel applies all of it or none of it.
func install(plan Plan, present bool) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := table(plan.Table)
	if present {
		c.DelTable(t)
	}
	c.AddTable(t)
	for _, pc := range plan.Chains {
		prio := nftables.ChainPriority(pc.Priority)
		ch := c.AddChain(&nftables.Chain{Name: pc.Name, Table: t, Type: nftables.ChainType(pc.Type), Hooknum: hooks[pc.Hook], Priority: &prio})
		for _, r := range pc.Rules {
			exprs, err := r.exprs()
			if err != nil {
				return err
			}
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: exprs, UserData: userdata.AppendString(nil, userdata.TypeComment, r.Comment)})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("installing table inet %s (needs CAP_NET_ADMIN): %w", plan.Table, err)
	}
	return nil
}

func remove(name string) (bool, error) {
	s, err := current(name)
	if err != nil || !s.Present {
		return false, err
	}
	c, err := nftables.New()
	if err != nil {
		return false, err
	}
	c.DelTable(table(name))
	if err := c.Flush(); err != nil {
		return false, fmt.Errorf("removing table inet %s: %w", name, err)
	}
	return true, nil
}

func cmp(op expr.CmpOp, data []byte) *expr.Cmp {
	return &expr.Cmp{Op: op, Register: 1, Data: data}
}

// exprs translates one rule; the conditions are tested in the plan's order.
func (r Rule) exprs() ([]expr.Any, error) {
	var out []expr.Any
	var proto byte
	for _, m := range r.Match {
		op := expr.CmpOpEq
		if m.Negate {
			op = expr.CmpOpNeq
		}
		switch m.Kind {
		case "l4proto":
			name, _ := m.Value.(string)
			p, ok := protocols[name]
			if !ok || m.Negate {
				return nil, fmt.Errorf("l4proto %v: want tcp, udp, icmp or icmpv6 (not negated)", m.Value)
			}
			proto = p
			out = append(out, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, cmp(op, []byte{p}))
		case "dport":
			port, err := number(m.Value, 65535)
			if err != nil || (proto != 6 && proto != 17) {
				return nil, fmt.Errorf("dport %v: needs a port and a tcp or udp l4proto before it", m.Value)
			}
			out = append(out,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				cmp(op, binaryutil.BigEndian.PutUint16(uint16(port))))
		case "skuid":
			uid, err := number(m.Value, 4294967295)
			if err != nil {
				return nil, fmt.Errorf("skuid: %w", err)
			}
			out = append(out, &expr.Meta{Key: expr.MetaKeySKUID, Register: 1}, cmp(op, binaryutil.NativeEndian.PutUint32(uid)))
		case "oifname", "iifname":
			name, _ := m.Value.(string)
			if name == "" || len(name) > 15 {
				return nil, fmt.Errorf("%s %v: want an interface name", m.Kind, m.Value)
			}
			key := expr.MetaKeyOIFNAME
			if m.Kind == "iifname" {
				key = expr.MetaKeyIIFNAME
			}
			out = append(out, &expr.Meta{Key: key, Register: 1}, cmp(op, append([]byte(name), 0)))
		case "daddr":
			p, err := prefix(m.Value)
			if err != nil {
				return nil, fmt.Errorf("daddr: %w", err)
			}
			out = append(out, addrMatch(p, op)...)
		default:
			return nil, fmt.Errorf("unknown condition %q", m.Kind)
		}
	}
	switch r.Verdict.Kind {
	case "accept":
		out = append(out, &expr.Verdict{Kind: expr.VerdictAccept})
	case "return":
		out = append(out, &expr.Verdict{Kind: expr.VerdictReturn})
	case "drop":
		out = append(out, &expr.Verdict{Kind: expr.VerdictDrop})
	case "redirect":
		if r.Verdict.Port == 0 || proto != 6 {
			return nil, fmt.Errorf("redirect needs a port and an l4proto tcp condition")
		}
		out = append(out,
			&expr.Immediate{Register: 1, Data: binaryutil.BigEndian.PutUint16(r.Verdict.Port)},
			&expr.Redir{RegisterProtoMin: 1})
	default:
		return nil, fmt.Errorf("unknown verdict %q", r.Verdict.Kind)
	}
	return out, nil
}

// addrMatch: the family guard (an inet table sees both), then the masked destination address.
// A negated range still requires the family, so "not in 10.0.0.0/8" never matches IPv6 traffic.
func addrMatch(p netip.Prefix, op expr.CmpOp) []expr.Any {
	family, offset := byte(unix.NFPROTO_IPV4), uint32(16)
	if p.Addr().Is6() {
		family, offset = unix.NFPROTO_IPV6, 24
	}
	size := uint32(p.Addr().BitLen() / 8)
	mask := make([]byte, size)
	for i := 0; i < p.Bits(); i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, cmp(expr.CmpOpEq, []byte{family}),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: size},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: size, Mask: mask, Xor: make([]byte, size)},
		cmp(op, p.Addr().AsSlice()),
	}
}
