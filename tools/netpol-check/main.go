// netpol-check answers "is this connection allowed?" for a set of Kubernetes NetworkPolicies,
// using the policy matcher of cyclonus (github.com/mattfenwick/cyclonus), the NetworkPolicy
// conformance tool, so the project's tests judge its policies with an evaluator it did not write.
//
// stdin:  {"policies": [<NetworkPolicy>...], "traffic": [<cyclonus matcher.Traffic>...]}
// stdout: [{"ingress": bool, "egress": bool}...], one per traffic item, in order.
//
// A traffic peer with "Internal" is a pod (namespace, its labels, pod labels); without it, an
// address outside the cluster. Input the matcher would misread (a policy without a namespace, an
// address that is not an IP, a protocol other than TCP, UDP or SCTP, a port outside 1-65535, a
// malformed ipBlock) is refused: exit 2 with a message naming the item.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	networkingv1 "k8s.io/api/networking/v1"
)

type request struct {
	Policies *[]*networkingv1.NetworkPolicy `json:"policies"`
	Traffic  *[]*matcher.Traffic            `json:"traffic"`
}

type verdict struct {
	Ingress bool `json:"ingress"`
	Egress  bool `json:"egress"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netpol-check: "+format+"\n", args...)
	os.Exit(2)
}

func checkPeers(where string, peers []networkingv1.NetworkPolicyPeer) {
	for j, peer := range peers {
		if peer.IPBlock == nil {
			continue
		}
		if _, _, err := net.ParseCIDR(peer.IPBlock.CIDR); err != nil {
			fail("%s[%d].ipBlock.cidr %q is not a CIDR block", where, j, peer.IPBlock.CIDR)
		}
		for k, except := range peer.IPBlock.Except {
			if _, _, err := net.ParseCIDR(except); err != nil {
				fail("%s[%d].ipBlock.except[%d] %q is not a CIDR block", where, j, k, except)
			}
		}
	}
}

func checkPolicies(policies []*networkingv1.NetworkPolicy) {
	for i, p := range policies {
		if p == nil {
			fail("policies[%d] is null", i)
		}
		if p.Namespace == "" {
			fail("policies[%d] (%q) has no metadata.namespace; the matcher would ignore it", i, p.Name)
		}
		for r, rule := range p.Spec.Ingress {
			checkPeers(fmt.Sprintf("policies[%d].spec.ingress[%d].from", i, r), rule.From)
		}
		for r, rule := range p.Spec.Egress {
			checkPeers(fmt.Sprintf("policies[%d].spec.egress[%d].to", i, r), rule.To)
		}
	}
}

func checkPeer(where string, peer *matcher.TrafficPeer) {
	if peer == nil {
		fail("%s is missing", where)
	}
	if net.ParseIP(peer.IP) == nil {
		fail("%s.IP %q is not an IP address", where, peer.IP)
	}
	if peer.Internal != nil && peer.Internal.Namespace == "" {
		fail("%s.Internal has no Namespace", where)
	}
}

func checkTraffic(traffic []*matcher.Traffic) {
	for i, t := range traffic {
		if t == nil {
			fail("traffic[%d] is null", i)
		}
		checkPeer(fmt.Sprintf("traffic[%d].Source", i), t.Source)
		checkPeer(fmt.Sprintf("traffic[%d].Destination", i), t.Destination)
		switch t.Protocol {
		case "TCP", "UDP", "SCTP":
		default:
			fail("traffic[%d].Protocol %q is not TCP, UDP or SCTP", i, t.Protocol)
		}
		if t.ResolvedPort < 1 || t.ResolvedPort > 65535 {
			fail("traffic[%d].ResolvedPort %d is not 1-65535", i, t.ResolvedPort)
		}
	}
}

func main() {
	defer func() {
		if r := recover(); r != nil {
			fail("the matcher failed on this input: %v", r)
		}
	}()
	var req request
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&req); err != nil {
		fail("stdin is not {\"policies\": [...], \"traffic\": [...]}: %v", err)
	}
	if decoder.More() {
		fail("stdin has more after the request object")
	}
	if req.Policies == nil || req.Traffic == nil {
		fail("stdin needs both \"policies\" and \"traffic\" lists")
	}
	checkPolicies(*req.Policies)
	checkTraffic(*req.Traffic)
	policy := matcher.BuildNetworkPolicies(false, *req.Policies)
	out := make([]verdict, 0, len(*req.Traffic))
	for _, t := range *req.Traffic {
		result := policy.IsTrafficAllowed(t)
		out = append(out, verdict{Ingress: result.Ingress.IsAllowed(), Egress: result.Egress.IsAllowed()})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("%v", err)
	}
}
