// An API that checks bearer tokens with go-oidc (coreos/go-oidc, over
// go-jose), as Go services and Kubernetes' OIDC authenticator do, and logs
// each refusal with Go's standard log package, and each request with
// logrus's text formatter (logfmt, as many Go services log requests): so
// that `authdoctor logs` is tested on what such a service really writes.
//
// Run as `oidc-api PORT ISSUER AUDIENCE`; it logs refusals to standard
// error and requests to standard output until killed. Built by
// scripts/test from Debian's packages (GOPATH mode).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	oidc "github.com/coreos/go-oidc"
	"github.com/sirupsen/logrus"
)

// statusRecorder keeps the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logged writes one logrus line per request: method, path, status, the
// client's address, its user agent and the time taken.
func logged(access *logrus.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		access.WithFields(logrus.Fields{
			"method":      r.Method,
			"path":        r.URL.Path,
			"status":      rec.status,
			"remote_addr": r.RemoteAddr,
			"user_agent":  r.UserAgent(),
			"duration":    time.Since(start).String(),
		}).Info("request")
	})
}

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
	access := logrus.New()
	access.Out = os.Stdout
	access.Formatter = &logrus.TextFormatter{DisableColors: true, FullTimestamp: true}
	log.Printf("listening on 127.0.0.1:%s", port)
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, logged(access, http.DefaultServeMux)))
}
