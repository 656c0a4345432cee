use super::*;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[test]
fn ids_round_trip_and_are_unique() {
    let mut seen = BTreeSet::new();
    for &c in Cause::ALL {
        assert_eq!(Cause::from_id(c.id()), Some(c));
        assert!(seen.insert(c.id()), "duplicate id {}", c.id());
    }
    assert_eq!(Cause::from_id("token.nope"), None);
}

#[test]
fn serializes_as_the_id() {
    let json = serde_json::to_string(&Cause::TokenExpired).unwrap();
    assert_eq!(json, "\"token.expired\"");
    let back: Cause = serde_json::from_str(&json).unwrap();
    assert_eq!(back, Cause::TokenExpired);
    assert!(serde_json::from_str::<Cause>("\"no.such\"").is_err());
    assert_eq!(
        serde_json::to_string(&Likelihood::High).unwrap(),
        "\"high\""
    );
    assert_eq!(
        serde_json::to_string(&Effort::Medium).unwrap(),
        "\"medium\""
    );
}

/// The enum and the shared vocabulary document must name the same ids, in
/// the same order. The document lives in `shared/` beside the repository.
#[test]
fn matches_the_shared_vocabulary() {
    let doc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/causes.md");
    let Ok(text) = std::fs::read_to_string(&doc) else {
        // A checkout without the design documents beside it: the list below
        // is then the reference, and it is checked by the other tests.
        eprintln!("skipped: {} is not present", doc.display());
        return;
    };
    let (causes, kinds) = text.split_once("## Log findings").unwrap_or((&text, ""));
    let ids = |part: &str| -> Vec<String> {
        part.lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_owned)
            .collect()
    };
    let ours: Vec<&str> = Cause::ALL.iter().map(|c| c.id()).collect();
    assert_eq!(ids(causes), ours);
    let ours: Vec<&str> = FindingKind::ALL.iter().map(|c| c.id()).collect();
    assert_eq!(ids(kinds), ours);
    for k in FindingKind::ALL {
        assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{}\"", k.id()));
    }
}

#[test]
fn every_cause_has_its_own_priority() {
    let mut seen = BTreeSet::new();
    for &c in Cause::ALL {
        assert!(
            c.priority() < Cause::ALL.len(),
            "{c} is not in the priority order"
        );
        assert!(seen.insert(c.priority()), "{c} shares a priority");
    }
    assert!(Cause::TokenIssuerMismatch.priority() < Cause::TokenExpired.priority());
    assert!(Cause::TokenWrongType.priority() < Cause::TokenAudienceMismatch.priority());
}
