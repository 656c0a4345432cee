//! JSON objects read with their duplicate member names noticed.
//!
//! RFC 7515 §4 and RFC 7519 §4 say a JOSE header or a claims set with a
//! duplicate member name must be rejected (or the last one used); RFC 8725
//! §3.14 warns that parsers which differ here let an attacker show one
//! claim to a gateway and another to the service. serde_json keeps the
//! last value silently, so the top-level members are read through this
//! visitor, which records every name seen twice.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// A JSON object and the names that appeared more than once in it.
pub struct Object {
    /// The members (for a duplicate, the last value, as most parsers keep).
    pub members: Map<String, Value>,
    /// The names seen more than once, in order of first repetition.
    pub duplicates: Vec<String>,
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        // Room for a token's usual members at once: growing the map from
        // empty rehashed every member at each step.
        let mut members = Map::with_capacity(map.size_hint().unwrap_or(8));
        let mut duplicates = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            // One look-up, and the name copied only when it repeats.
            match members.entry(k) {
                serde_json::map::Entry::Vacant(e) => {
                    e.insert(v);
                }
                serde_json::map::Entry::Occupied(mut e) => {
                    if !duplicates.contains(e.key()) {
                        duplicates.push(e.key().clone());
                    }
                    e.insert(v);
                }
            }
        }
        Ok(Object {
            members,
            duplicates,
        })
    }
}

impl<'de> de::Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
        d.deserialize_map(ObjectVisitor)
    }
}

/// Why bytes are not a JSON object.
#[derive(Debug)]
pub enum NotAnObject {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// They are JSON, but not an object.
    OtherJson(&'static str),
    /// They are not JSON: the parser's words, with line and column.
    Syntax(String),
}

/// Reads bytes as one JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Object, NotAnObject> {
    let text = std::str::from_utf8(bytes).map_err(|_| NotAnObject::NotUtf8)?;
    match serde_json::from_str::<Object>(text) {
        Ok(o) => Ok(o),
        Err(e) => match serde_json::from_str::<Value>(text) {
            Ok(v) => Err(NotAnObject::OtherJson(type_name(&v))),
            Err(_) => Err(NotAnObject::Syntax(e.to_string())),
        },
    }
}

/// The JSON type of a value, as a noun.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
