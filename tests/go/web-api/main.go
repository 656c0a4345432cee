// An API built as Go web frameworks' documentation shows, its bearer token
// verified by go-oidc (coreos/go-oidc over go-jose), each request logged by
// the framework's own logger, so that the doctor and `authdoctor logs` are
// tested on what such services really answer and write:
//
//   - gin: gin.Logger()'s default lines; a refusal by AbortWithError (a
//     bare 401), which makes the logger write the error under the request
//     line (`Error #01: oidc: token is expired …`);
//   - chi: middleware.Logger's lines (after Go's log time); a refusal by
//     http.Error with go-oidc's words as the body;
//   - golang-jwt: net/http with golang-jwt (v4) in place of go-oidc, as its
//     README's example writes the key function (the method checked, the
//     key chosen by kid from the issuer's key set, read once at start) and
//     the tutorials' middleware checks audience and issuer with MapClaims'
//     Verify methods; a refusal by http.Error with the library's words.
//
// Run as `web-api gin|chi|golang-jwt PORT ISSUER AUDIENCE`; it logs to
// standard output until killed. Built by scripts/test from Debian's packages
// (GOPATH mode).
package main

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net/http"
	"os"
	"strings"

	oidc "github.com/coreos/go-oidc"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	jwt "github.com/golang-jwt/jwt/v4"
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

// rsaKeys reads the issuer's RSA keys by kid, through its discovery
// document, once.
func rsaKeys(issuer string) map[string]*rsa.PublicKey {
	get := func(url string, into interface{}) {
		r, err := http.Get(url)
		if err != nil {
			log.Fatalf("%s: %v", url, err)
		}
		defer r.Body.Close()
		if err := json.NewDecoder(r.Body).Decode(into); err != nil {
			log.Fatalf("%s: %v", url, err)
		}
	}
	var discovery struct {
		JwksURI string `json:"jwks_uri"`
	}
	get(strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &discovery)
	var set struct {
		Keys []struct{ Kid, Kty, N, E string } `json:"keys"`
	}
	get(discovery.JwksURI, &set)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || errN != nil || errE != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys
}

func withGolangJWT(issuer, audience string) http.Handler {
	keys := rsaKeys(issuer)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/orders", func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if !strings.HasPrefix(header, "Bearer ") {
			http.Error(w, "authorization header missing or not Bearer", http.StatusUnauthorized)
			return
		}
		token, err := jwt.Parse(strings.TrimPrefix(header, "Bearer "), func(t *jwt.Token) (interface{}, error) {
			if _, ok := t.Method.(*jwt.SigningMethodRSA); !ok {
				return nil, fmt.Errorf("Unexpected signing method: %v", t.Header["alg"])
			}
			kid, _ := t.Header["kid"].(string)
			key, ok := keys[kid]
			if !ok {
				return nil, errors.New("the given key ID was not found in the JWKS")
			}
			return key, nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		claims := token.Claims.(jwt.MapClaims)
		if !claims.VerifyAudience(audience, true) {
			http.Error(w, jwt.ErrTokenInvalidAudience.Error(), http.StatusUnauthorized)
			return
		}
		if !claims.VerifyIssuer(issuer, true) {
			http.Error(w, jwt.ErrTokenInvalidIssuer.Error(), http.StatusUnauthorized)
			return
		}
		orders(w)
	})
	return mux
}

func main() {
	if len(os.Args) != 5 {
		log.Fatal("usage: web-api gin|chi|golang-jwt PORT ISSUER AUDIENCE")
	}
	framework, port, issuer, audience := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	log.SetOutput(os.Stdout)
	if framework == "golang-jwt" {
		log.Fatal(http.ListenAndServe("127.0.0.1:"+port, withGolangJWT(issuer, audience)))
	}
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
		log.Fatalf("unknown framework %q: gin, chi or golang-jwt", framework)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, handler))
}
