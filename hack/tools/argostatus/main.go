// Command argostatus prints the status `kubectl argo rollouts status` would
// print for a Rollout, computed by Argo Rollouts' own helper
// (utils/rollout.GetRolloutPhase, which that command calls): it reads the
// Rollout as JSON on stdin and prints "<phase>\t<message>". Tests compare
// Switchyard's view of a Rollout with Argo's without building the kubectl
// plugin (which pulls in the dashboard and its UI).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	rolloututil "github.com/argoproj/argo-rollouts/utils/rollout"
)

func main() {
	var ro v1alpha1.Rollout
	if err := json.NewDecoder(os.Stdin).Decode(&ro); err != nil {
		fmt.Fprintln(os.Stderr, "argostatus: read rollout:", err)
		os.Exit(2)
	}
	phase, message := rolloututil.GetRolloutPhase(&ro)
	fmt.Printf("%s\t%s\n", phase, message)
}
