// A gRPC API that checks bearer tokens as Go services do: go-grpc-middleware's
// auth interceptor (grpc_auth) reading the `authorization` metadata, the
// token verified by go-oidc (coreos/go-oidc over go-jose), a scope asked for
// with PERMISSION_DENIED; and every call logged by go-grpc-middleware's
// logrus interceptor (grpc_logrus), in JSON or text (logfmt). The service is
// gRPC's own health service (grpc.health.v1.Health/Check), so no generated
// code is needed. So that the doctor is tested on a real gRPC server and
// `authdoctor logs` on what such a server really writes.
//
//	grpc-api serve PORT ISSUER AUDIENCE SCOPE json|text [CERT KEY]
//	    serves on 127.0.0.1:PORT, logging calls to standard output; over
//	    TLS with the certificate and key in PEM files, where given;
//	grpc-api call PORT FROM AUTHORIZATION
//	    calls Check from loopback address 127.0.0.FROM with AUTHORIZATION
//	    as its `authorization` metadata (`Bearer …`; `-`: none), and prints
//	    the status's code name and message.
//
// Built by scripts/test from Debian's packages (GOPATH mode).
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"time"

	oidc "github.com/coreos/go-oidc"
	grpc_middleware "github.com/grpc-ecosystem/go-grpc-middleware"
	grpc_auth "github.com/grpc-ecosystem/go-grpc-middleware/auth"
	grpc_logrus "github.com/grpc-ecosystem/go-grpc-middleware/logging/logrus"
	grpc_ctxtags "github.com/grpc-ecosystem/go-grpc-middleware/tags"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func serve(port, issuer, audience, scope, format string, tls []string) {
	provider, err := oidc.NewProvider(context.Background(), issuer)
	if err != nil {
		log.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: audience})
	// As grpc_auth's documentation shows: the token from the metadata,
	// verified, its claims in the context; a refusal is UNAUTHENTICATED.
	authenticate := func(ctx context.Context) (context.Context, error) {
		token, err := grpc_auth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, err
		}
		idToken, err := verifier.Verify(ctx, token)
		if err != nil {
			return nil, status.Errorf(codes.Unauthenticated, "invalid auth token: %v", err)
		}
		var claims struct {
			Scope string `json:"scope"`
		}
		if err := idToken.Claims(&claims); err != nil {
			return nil, status.Errorf(codes.Unauthenticated, "invalid auth token: %v", err)
		}
		if !contains(strings.Fields(claims.Scope), scope) {
			return nil, status.Errorf(codes.PermissionDenied, "the token lacks the scope %q", scope)
		}
		grpc_ctxtags.Extract(ctx).Set("auth.sub", idToken.Subject)
		return ctx, nil
	}
	logger := logrus.New()
	logger.Out = os.Stdout
	if format == "json" {
		logger.Formatter = &logrus.JSONFormatter{}
	} else {
		logger.Formatter = &logrus.TextFormatter{DisableColors: true, FullTimestamp: true}
	}
	entry := logrus.NewEntry(logger)
	options := []grpc.ServerOption{
		grpc.UnaryInterceptor(grpc_middleware.ChainUnaryServer(
			grpc_ctxtags.UnaryServerInterceptor(),
			grpc_logrus.UnaryServerInterceptor(entry),
			grpc_auth.UnaryServerInterceptor(authenticate),
		)),
	}
	if len(tls) == 2 {
		creds, err := credentials.NewServerTLSFromFile(tls[0], tls[1])
		if err != nil {
			log.Fatalf("tls: %v", err)
		}
		options = append(options, grpc.Creds(creds))
	}
	server := grpc.NewServer(options...)
	healthpb.RegisterHealthServer(server, health.NewServer())
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", listener.Addr())
	log.Fatal(server.Serve(listener))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func call(port, from, authorization string) {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0." + from)}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, "127.0.0.1:"+port,
		grpc.WithInsecure(),
		grpc.WithBlock(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}),
	)
	if err != nil {
		log.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if authorization != "-" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authorization)
	}
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	s := status.Convert(err)
	fmt.Printf("%s %s\n", s.Code(), s.Message())
}

func main() {
	switch {
	case (len(os.Args) == 7 || len(os.Args) == 9) && os.Args[1] == "serve":
		serve(os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7:])
	case len(os.Args) == 5 && os.Args[1] == "call":
		call(os.Args[2], os.Args[3], os.Args[4])
	default:
		log.Fatal("usage: grpc-api serve PORT ISSUER AUDIENCE SCOPE json|text [CERT KEY] | grpc-api call PORT FROM AUTHORIZATION")
	}
}
