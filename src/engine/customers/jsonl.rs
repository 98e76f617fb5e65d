//! One JSON Lines row, read for validation without a `serde_json::Value` tree.
//!
//! Validating a 1,000,000-row file through `Map<String, Value>` cost about 3 CPU
//! seconds (a `String` per key and value, a map per row); the issue's bar is a start
//! under 2 s. [`Row`] borrows every key and string that has no escape from the line
//! itself and keeps a list instead of a map (rows have a handful of keys), so a row
//! costs a small `Vec` and no string copies. Only what the checks read is kept: strings,
//! objects and arrays; numbers, booleans and null are just `Other`.

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON value as far as a customers row needs it.
#[derive(Debug, PartialEq)]
pub(super) enum Val<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// An object: its keys and values in file order.
    Obj(Vec<(Cow<'a, str>, Val<'a>)>),
    /// An array.
    Arr(Vec<Val<'a>>),
    /// A number, boolean or null.
    Other,
}

impl<'a> Val<'a> {
    /// The string, if this is one.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// One row: a JSON object's members in file order.
#[derive(Debug, PartialEq)]
pub(super) struct Row<'a>(pub Vec<(Cow<'a, str>, Val<'a>)>);

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: Error>(self, v: String) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }
    fn visit_unit<E: Error>(self) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Val::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val<'de>, A::Error> {
        members(map).map(Val::Obj)
    }
}

fn members<'de, A: MapAccess<'de>>(mut map: A) -> Result<Vec<(Cow<'de, str>, Val<'de>)>, A::Error> {
    let mut out = Vec::new();
    while let Some(key) = map.next_key::<Val<'de>>()? {
        let Val::Str(key) = key else {
            return Err(A::Error::custom("a key that is not a string"));
        };
        out.push((key, map.next_value()?));
    }
    Ok(out)
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Row<'de>, A::Error> {
        members(map).map(Row)
    }
}

impl<'de> Deserialize<'de> for Row<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed_and_the_rest_is_kept_in_order() {
        let line = r#"{"nickname":"Ann","userData":{"tier":"gold","n":3},"messages":["hi","a\"b"],"x":null}"#;
        let row: Row = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = row.0.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["nickname", "userData", "messages", "x"]);
        assert!(matches!(&row.0[0].1, Val::Str(Cow::Borrowed("Ann"))));
        let Val::Obj(ud) = &row.0[1].1 else { panic!() };
        assert_eq!(ud[0].1.as_str(), Some("gold"));
        assert_eq!(ud[1].1, Val::Other);
        let Val::Arr(msgs) = &row.0[2].1 else {
            panic!()
        };
        assert!(matches!(&msgs[1], Val::Str(Cow::Owned(s)) if s == "a\"b"));
        assert_eq!(row.0[3].1, Val::Other);
    }

    #[test]
    fn a_line_that_is_no_object_is_an_error_with_a_column() {
        let e = serde_json::from_str::<Row>("[1, 2]").unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
        let e = serde_json::from_str::<Row>(r#"{"a": }"#).unwrap_err();
        assert_eq!(e.column(), 7);
    }
}
