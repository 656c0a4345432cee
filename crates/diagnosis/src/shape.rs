//! One decision, used everywhere: what kind of credential a bearer value
//! is. A JWT can be judged offline; an opaque token only by its issuer
//! (introspection); an empty one is a header defect, not a token.

/// The kind of a bearer credential, by its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenShape {
    /// Nothing after the scheme.
    Empty,
    /// A compact JWS/JWT: `eyJ…` or three dot-separated parts.
    Jwt,
    /// A compact JWE (five parts): encrypted, readable only by its audience.
    Jwe,
    /// Anything else: a reference token, an API key, a refresh token.
    Opaque,
}

impl TokenShape {
    /// Classifies a value.
    pub fn of(value: &str) -> TokenShape {
        let v = value.trim();
        if v.is_empty() {
            return TokenShape::Empty;
        }
        match v.matches('.').count() {
            4 if v.starts_with("eyJ") => TokenShape::Jwe,
            2 => TokenShape::Jwt,
            // A truncated JWT still starts like one: judged (and called
            // malformed) as a JWT, not as an opaque token.
            _ if v.starts_with("eyJ") => TokenShape::Jwt,
            _ => TokenShape::Opaque,
        }
    }

    /// Whether a value found somewhere other than `Authorization` (another
    /// header, the query string) is a JWT: it must also look like one from
    /// its first bytes, since `1.2.3` has two dots too.
    pub fn found_jwt(value: &str) -> bool {
        value.starts_with("eyJ") && TokenShape::of(value) == TokenShape::Jwt
    }

    /// The name used in reports: `jwt`, `jwe`, `opaque`, `empty`.
    pub fn name(self) -> &'static str {
        match self {
            TokenShape::Empty => "empty",
            TokenShape::Jwt => "jwt",
            TokenShape::Jwe => "jwe",
            TokenShape::Opaque => "opaque",
        }
    }

    /// Whether it can be judged offline (decoded and checked).
    pub fn is_jwt(self) -> bool {
        matches!(self, TokenShape::Jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(TokenShape::of(""), TokenShape::Empty);
        assert_eq!(TokenShape::of("  "), TokenShape::Empty);
        assert_eq!(
            TokenShape::of("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
            TokenShape::Jwt
        );
        assert_eq!(TokenShape::of("a.b.c"), TokenShape::Jwt);
        assert_eq!(TokenShape::of("eyJhbGciOiJSUzI1NiJ9.e30"), TokenShape::Jwt);
        assert_eq!(
            TokenShape::of("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"),
            TokenShape::Jwe
        );
        assert_eq!(TokenShape::of("ghp_0123456789abcdef"), TokenShape::Opaque);
        assert_eq!(TokenShape::of("2YotnFZFEjr1zCsicMWpAA"), TokenShape::Opaque);
    }
}
