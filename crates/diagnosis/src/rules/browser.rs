//! What only a browser does: CORS.

use super::{Finding, Rule, Witnesses, finding};
use authdoctor_causes::{Cause, Effort, Likelihood};

/// `cors.blocked`: the preflight (OPTIONS, which never carries
/// credentials) refused for want of them, or an answer the browser was not
/// allowed to read.
pub struct CorsBlocked;

impl Rule for CorsBlocked {
    fn cause(&self) -> Cause {
        Cause::CorsBlocked
    }

    fn at_token_endpoint(&self) -> bool {
        true
    }

    fn find(&self, w: &Witnesses<'_>, _: &[Finding]) -> Option<Finding> {
        let o = w.o;
        let last = o.last();
        let origin = o.spec.header("origin");
        let browser_failed = o.spec.browser.as_ref().is_some_and(|b| b.status <= 0);
        let mut ev = Vec::new();
        if let Some(b) = &o.spec.browser {
            ev.push(format!(
                "the browser saw status {}{}",
                b.status,
                b.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
        }
        let summary = if o.spec.is_preflight() && matches!(last.status, 401 | 403) {
            ev.push(format!(
                "the preflight OPTIONS {} was answered {}",
                crate::facts::display_url(&o.spec.url),
                last.status
            ));
            "The CORS preflight was refused: browsers send OPTIONS without credentials, and the server demands them on every method."
        } else if let Some(origin) = origin {
            match last.header("access-control-allow-origin") {
                None => {
                    ev.push(format!("the request came from Origin {origin}; the answer has no Access-Control-Allow-Origin"));
                    "The answer lacks Access-Control-Allow-Origin, so the browser hides it from the page."
                }
                Some(a) if a != "*" && a != origin => {
                    ev.push(format!(
                        "Access-Control-Allow-Origin is {a:?}; the page's origin is {origin:?}"
                    ));
                    "Access-Control-Allow-Origin names another origin, so the browser hides the answer."
                }
                Some(_) if browser_failed => {
                    let allowed = last.header("access-control-allow-headers").unwrap_or("");
                    if o.spec
                        .header("access-control-request-headers")
                        .is_some_and(|h| h.to_ascii_lowercase().contains("authorization"))
                        && !allowed.to_ascii_lowercase().contains("authorization")
                    {
                        ev.push(format!("Access-Control-Allow-Headers is {allowed:?} and does not allow Authorization"));
                        "The preflight does not allow the Authorization header, so the browser never sends the request."
                    } else {
                        return None;
                    }
                }
                Some(_) => return None,
            }
        } else {
            return None;
        };
        ev.extend(w.words.clone());
        Some(finding(
            Cause::CorsBlocked,
            if browser_failed || o.spec.method == "OPTIONS" {
                Likelihood::High
            } else {
                Likelihood::Medium
            },
            summary.to_owned(),
            ev,
            vec![(Effort::Medium, "Answer OPTIONS before authentication, with Access-Control-Allow-Origin for the page's origin and Authorization in Access-Control-Allow-Headers.".into())],
        ))
    }
}
