// An API built with Gin as its documentation shows: gin.Logger() writing
// its default request lines, a middleware that verifies the bearer token
// with go-oidc (coreos/go-oidc over go-jose) and refuses with
// AbortWithError, so that Gin's logger writes the error under the request
// line (`Error #01: oidc: token is expired …`). So that the doctor and
// `authdoctor logs` are tested on what a Gin service really answers and
// writes.
//
// Run as `gin-api PORT ISSUER AUDIENCE`; it logs to standard output until
// killed. Built by scripts/test from Debian's packages (GOPATH mode).
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
)

func authenticate(verifier *oidc.IDTokenVerifier) gin.HandlerFunc {
	return func(c *gin.Context) {
		header := c.GetHeader("Authorization")
		if !strings.HasPrefix(header, "Bearer ") {
			_ = c.AbortWithError(http.StatusUnauthorized, errors.New("authorization header missing or not Bearer"))
			return
		}
		if _, err := verifier.Verify(c.Request.Context(), strings.TrimPrefix(header, "Bearer ")); err != nil {
			_ = c.AbortWithError(http.StatusUnauthorized, err)
			return
		}
		c.Next()
	}
}

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: gin-api PORT ISSUER AUDIENCE")
	}
	port, issuer, audience := os.Args[1], os.Args[2], os.Args[3]
	provider, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		log.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	r.GET("/api/orders", authenticate(verifier), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"orders": []string{}})
	})
	log.Fatal(r.Run("127.0.0.1:" + port))
}
