// An API built as Go web frameworks' documentation shows, its bearer token
// verified by go-oidc (coreos/go-oidc over go-jose), each request logged by
// the framework's own logger, so that the doctor and `authdoctor logs` are
// tested on what such services really answer and write:
//
//   - gin: gin.Logger()'s default lines; a refusal by AbortWithError (a
//     bare 401), which makes the logger write the error under the request
//     line (`Error #01: oidc: token is expired …`);
//   - chi: middleware.Logger's lines (after Go's log time); a refusal by
//     http.Error with go-oidc's words as the body.
//
// Run as `web-api gin|chi PORT ISSUER AUDIENCE`; it logs to standard output
// until killed. Built by scripts/test from Debian's packages (GOPATH mode).
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"strings"

	oidc "github.com/coreos/go-oidc"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// verify checks a request's bearer token: nil, or why it is refused.
func verify(verifier *oidc.IDTokenVerifier, r *http.Request) error {
	header := r.Header.Get("Authorization")
	if !strings.HasPrefix(header, "Bearer ") {
		return errors.New("authorization header missing or not Bearer")
	}
	_, err := verifier.Verify(r.Context(), strings.TrimPrefix(header, "Bearer "))
	return err
}

func orders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"orders":[]}`))
}

func withGin(verifier *oidc.IDTokenVerifier) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	r.GET("/api/orders", func(c *gin.Context) {
		if err := verify(verifier, c.Request); err != nil {
			_ = c.AbortWithError(http.StatusUnauthorized, err)
			return
		}
		c.Next()
	}, func(c *gin.Context) { orders(c.Writer) })
	return r
}

func withChi(verifier *oidc.IDTokenVerifier) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Logger)
	r.Get("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		if err := verify(verifier, r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		orders(w)
	})
	return r
}

func main() {
	if len(os.Args) != 5 {
		log.Fatal("usage: web-api gin|chi PORT ISSUER AUDIENCE")
	}
	framework, port, issuer, audience := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	log.SetOutput(os.Stdout)
	provider, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		log.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience})
	var handler http.Handler
	switch framework {
	case "gin":
		handler = withGin(verifier)
	case "chi":
		handler = withChi(verifier)
	default:
		log.Fatalf("unknown framework %q: gin or chi", framework)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, handler))
}
