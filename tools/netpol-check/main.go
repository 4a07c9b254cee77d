// netpol-check answers "is this connection allowed?" for a set of Kubernetes NetworkPolicies,
// using the policy matcher of cyclonus (github.com/mattfenwick/cyclonus), the NetworkPolicy
// conformance tool, so the project's tests judge its policies with an evaluator it did not write.
//
// stdin:  {"policies": [<NetworkPolicy>...], "traffic": [<cyclonus matcher.Traffic>...]}
// stdout: [{"ingress": bool, "egress": bool}...], one per traffic item, in order.
//
// A traffic peer with "Internal" is a pod (namespace, its labels, pod labels); without it, an
// address outside the cluster. Exit 2 with a message on bad input.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	networkingv1 "k8s.io/api/networking/v1"
)

type request struct {
	Policies []*networkingv1.NetworkPolicy `json:"policies"`
	Traffic  []*matcher.Traffic            `json:"traffic"`
}

type verdict struct {
	Ingress bool `json:"ingress"`
	Egress  bool `json:"egress"`
}

func main() {
	var req request
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "netpol-check: stdin is not {\"policies\": [...], \"traffic\": [...]}: %v\n", err)
		os.Exit(2)
	}
	for i, t := range req.Traffic {
		if t == nil || t.Source == nil || t.Destination == nil || t.Protocol == "" {
			fmt.Fprintf(os.Stderr, "netpol-check: traffic[%d] needs Source, Destination and Protocol\n", i)
			os.Exit(2)
		}
	}
	policy := matcher.BuildNetworkPolicies(false, req.Policies)
	out := make([]verdict, 0, len(req.Traffic))
	for _, t := range req.Traffic {
		result := policy.IsTrafficAllowed(t)
		out = append(out, verdict{Ingress: result.Ingress.IsAllowed(), Egress: result.Egress.IsAllowed()})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "netpol-check: %v\n", err)
		os.Exit(2)
	}
}
