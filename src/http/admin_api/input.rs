//! Reading the admin API's input member by member, so a wrong one is named (`field`), and
//! refusing members and query parameters the operation does not know.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::admin::AdminError;

/// A JSON object whose members are taken one by one.
pub struct Members(Map<String, Value>);

impl Members {
    pub fn new(map: Map<String, Value>, known: &[&str]) -> Result<Members, AdminError> {
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(AdminError::invalid(unknown, "unknown member"));
        }
        Ok(Members(map))
    }

    /// The member `name` as a `T`; `None` when absent (or `null`: leave it as it is).
    pub fn take<T: DeserializeOwned>(&mut self, name: &str, expected: &str) -> Result<Option<T>, AdminError> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value).map(Some).map_err(|_| AdminError::invalid(name, expected)),
        }
    }
}

impl Members {
    /// A member that may be cleared (JSON merge patch, RFC 7396): absent → `None`, `null` →
    /// `Some(None)`, a value → `Some(Some(value))`.
    pub fn nullable<T: DeserializeOwned>(
        &mut self,
        name: &str,
        expected: &str,
    ) -> Result<Option<Option<T>>, AdminError> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(value) => {
                serde_json::from_value(value).map(|v| Some(Some(v))).map_err(|_| AdminError::invalid(name, expected))
            }
        }
    }

    /// The members present, for the journal.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

/// The query string's parameters, each at most once, only those `known`.
pub fn query(raw: Option<&str>, known: &[&str]) -> Result<BTreeMap<String, String>, AdminError> {
    let mut out = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !known.contains(&name.as_ref()) {
            return Err(AdminError::invalid(&name, "unknown parameter"));
        }
        if out.insert(name.to_string(), value.to_string()).is_some() {
            return Err(AdminError::invalid(&name, "given twice"));
        }
    }
    Ok(out)
}

/// An integer parameter within `range`.
pub fn integer(
    params: &BTreeMap<String, String>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, AdminError> {
    params
        .get(name)
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                AdminError::invalid(name, format!("an integer from {} to {}", range.start(), range.end()))
            })
        })
        .transpose()
}

/// A `YYYY-MM-DD` parameter, as the Unix time of that day's start (UTC).
pub fn day(params: &BTreeMap<String, String>, name: &str) -> Result<Option<i64>, AdminError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    params
        .get(name)
        .map(|v| {
            time::Date::parse(v, &format)
                .map(|d| d.midnight().assume_utc().unix_timestamp())
                .map_err(|_| AdminError::invalid(name, "a date, YYYY-MM-DD"))
        })
        .transpose()
}

/// One page of `all` (in their order) after the item whose id is `params["after"]`, at most
/// `params["limit"]` (100 by default, 200 at most): `{"items": [...], "next": id or null}`.
pub fn page<T: serde::Serialize>(
    all: &[T],
    params: &BTreeMap<String, String>,
    id: impl Fn(&T) -> &str,
) -> Result<Value, AdminError> {
    let limit = integer(params, "limit", 1..=200)?.unwrap_or(100) as usize;
    let start = match params.get("after") {
        Some(after) => all
            .iter()
            .position(|item| id(item) == after)
            .map(|i| i + 1)
            .ok_or_else(|| AdminError::invalid("after", "the `next` of the previous page"))?,
        None => 0,
    };
    let items: Vec<&T> = all.iter().skip(start).take(limit).collect();
    let next = (start + limit < all.len()).then(|| items.last().map(|item| id(item).to_owned())).flatten();
    Ok(serde_json::json!({ "items": items, "next": next }))
}
