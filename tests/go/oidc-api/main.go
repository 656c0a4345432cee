// An API that checks bearer tokens with go-oidc (coreos/go-oidc, over
// go-jose), as Go services and Kubernetes' OIDC authenticator do, and logs
// each refusal with Go's standard log package: so that `authdoctor logs` is
// tested on what such a service really writes.
//
// Run as `oidc-api PORT ISSUER AUDIENCE`; it logs to standard error until
// killed. Built by scripts/test from Debian's packages (GOPATH mode).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	oidc "github.com/coreos/go-oidc"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: oidc-api PORT ISSUER AUDIENCE")
	}
	port, issuer, audience := os.Args[1], os.Args[2], os.Args[3]
	provider, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		log.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience})
	http.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, err := verifier.Verify(r.Context(), token); err != nil {
			log.Printf("%s %s %s: unauthorized: %v", r.RemoteAddr, r.Method, r.URL.Path, err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, `{"orders":[]}`)
	})
	log.Printf("listening on 127.0.0.1:%s", port)
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, nil))
}
