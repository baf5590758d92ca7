package policy_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vouchsec/vouch/pkg/policy"
)

func ExampleImageRules() {
	p, err := policy.Load("testdata/image.yaml")
	if err != nil {
		log.Fatal(err)
	}
	r := p.Policies[0].Image
	fmt.Println("root:", policy.IsRootUser("0:10001", "linux"), policy.IsRootUser("10001", "linux"))
	for _, ref := range []string{"gcr.io/distroless/static:nonroot", "ubuntu:24.04"} {
		ok, _ := r.AllowedBaseImages[0].Matches(ref, "")
		fmt.Printf("base %s allowed by %s: %v\n", ref, r.AllowedBaseImages[0].Pattern, ok)
	}
	for _, env := range []string{"GITHUB_TOKEN=ghp_x", "PATH=/usr/bin"} {
		fmt.Printf("%s denied by %s: %v\n", env, r.DeniedEnv[0].Pattern, r.DeniedEnv[0].Matches(env))
	}
	// Output:
	// root: true false
	// base gcr.io/distroless/static:nonroot allowed by gcr.io/distroless/**: true
	// base ubuntu:24.04 allowed by gcr.io/distroless/**: false
	// GITHUB_TOKEN=ghp_x denied by *_TOKEN: true
	// PATH=/usr/bin denied by *_TOKEN: false
}

func ExampleRegoRule_Eval() {
	r, err := policy.CompileRego("users.rego", []byte(`package vouch

deny contains msg if {
	input.config.config.User in {"", "root", "0"}
	msg := sprintf("runs as %q", [input.config.config.User])
}
`))
	if err != nil {
		log.Fatal(err)
	}
	input := map[string]any{"config": map[string]any{"config": map[string]any{"User": "root"}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	msgs, err := r.Eval(ctx, input, time.Now())
	fmt.Println(msgs, err)
	// Output:
	// [runs as "root"] <nil>
}
