# Perl resource servers as Mojolicious apps guard their APIs (Debian's
# libmojolicious-perl), each an `under` that takes the token after
# `Bearer ` and answers any refusal 401 with the library's own words as
# {"error": …}, the " at FILE line N." Perl adds cut off:
#
#   /crypt-jwt/api/orders  Crypt::JWT's decode_jwt (libcrypt-jwt-perl)
#                          against the issuer's key set (kid_keys: fetched
#                          at start, fetched again once when a kid is
#                          unknown), RS256 only, issuer and audience
#                          checked by the library;
#   /mojo-jwt/api/orders   Mojo::JWT (libmojo-jwt-perl) with the key set's
#                          keys (its `jwks`), the issuer and audience
#                          checked by the app after it ("wrong issuer",
#                          "wrong audience").
#
#   perl api.pl PORT ISSUER JWKS_URI AUDIENCE
#
# Stops when its standard input closes.
use strict;
use warnings;
use Mojolicious::Lite -signatures;
use Mojo::IOLoop;
use Mojo::UserAgent;
use Crypt::JWT qw(decode_jwt);
use Mojo::JWT;

my ($port, $issuer, $jwks_uri, $audience) = @ARGV;
my $ua = Mojo::UserAgent->new;
my $keys;

sub key_set ($fresh) {
  $keys = $ua->get($jwks_uri)->result->json if $fresh || !$keys;
  return $keys;
}

sub words ($err) {
  $err =~ s/ at \S+ line \d+\.?\s*\z//;
  return $err;
}

sub bearer ($c) {
  my ($token) = ($c->req->headers->authorization // '') =~ /^Bearer (.+)$/;
  return $token;
}

sub has_audience ($aud) {
  return scalar grep { $_ eq $audience } (ref $aud eq 'ARRAY' ? @$aud : ($aud // ()));
}

app->log->level('fatal');

under '/crypt-jwt/api' => sub ($c) {
  my $token = bearer($c);
  my $check = sub {
    decode_jwt(
      token        => $token,
      kid_keys     => key_set(shift),
      accepted_alg => ['RS256'],
      verify_iss   => $issuer,
      verify_aud   => \&has_audience,
      verify_exp   => 1,
    );
  };
  my $claims = eval { $check->(0) };
  $claims = eval { $check->(1) } if !$claims && $@ =~ /kid_keys lookup failed/;
  return 1 if $claims;
  $c->render(status => 401, json => { error => words($@) });
  return undef;
};

get '/orders' => sub ($c) { $c->render(json => { orders => [] }) };

under '/mojo-jwt/api' => sub ($c) {
  my $claims = eval {
    my $claims = Mojo::JWT->new(jwks => key_set(0)->{keys})->decode(bearer($c) // '');
    die "wrong issuer\n" unless ($claims->{iss} // '') eq $issuer;
    die "wrong audience\n" unless has_audience($claims->{aud});
    $claims;
  };
  return 1 if $claims;
  $c->render(status => 401, json => { error => words($@) });
  return undef;
};

get '/orders' => sub ($c) { $c->render(json => { orders => [] }) };

key_set(1);
Mojo::IOLoop->singleton->reactor->io(\*STDIN => sub ($reactor, $writable) {
  exit 0 if !sysread(STDIN, my $buf, 4096);
});
Mojo::IOLoop->singleton->reactor->watch(\*STDIN, 1, 0);
app->start('daemon', '-l', "http://127.0.0.1:$port");
