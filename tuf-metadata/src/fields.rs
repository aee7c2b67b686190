//! Reading JSON objects field by field, as python-tuf's `from_dict` does: every known field is
//! taken out of the object with a typed error naming its path, and what is left over is kept
//! as the object's unrecognised fields.

use serde_json::{Map, Value};

use crate::Error;

/// A JSON object being taken apart.
pub(crate) struct Fields {
    map: Map<String, Value>,
    path: String,
}

/// The JSON type name of a value, for error messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

pub(crate) fn invalid(path: String, expected: &str, found: &Value) -> Error {
    Error::InvalidField {
        path,
        reason: format!("expected {expected}, found {}", type_name(found)),
    }
}

pub(crate) fn as_string(value: Value, path: impl FnOnce() -> String) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(invalid(path(), "a string", &other)),
    }
}

pub(crate) fn as_int(value: &Value, path: impl FnOnce() -> String) -> Result<i64, Error> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| Error::InvalidField {
            path: path(),
            reason: format!("expected an integer in the signed 64-bit range, found {n}"),
        }),
        other => Err(invalid(path(), "an integer", other)),
    }
}

pub(crate) fn as_object(
    value: Value,
    path: impl FnOnce() -> String,
) -> Result<Map<String, Value>, Error> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(invalid(path(), "an object", &other)),
    }
}

pub(crate) fn as_array(value: Value, path: impl FnOnce() -> String) -> Result<Vec<Value>, Error> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(invalid(path(), "an array", &other)),
    }
}

impl Fields {
    /// Starts reading `value`, which must be an object, found at `path`.
    pub(crate) fn new(value: Value, path: String) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Ok(Fields { map, path }),
            other => Err(invalid(path, "an object", &other)),
        }
    }

    /// The path of this object.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The path of a field of this object.
    pub(crate) fn field_path(&self, name: &str) -> String {
        join(&self.path, name)
    }

    pub(crate) fn take(&mut self, name: &'static str) -> Result<Value, Error> {
        self.map.remove(name).ok_or_else(|| Error::MissingField {
            path: if self.path.is_empty() {
                "(top level)".to_owned()
            } else {
                self.path.clone()
            },
            field: name,
        })
    }

    pub(crate) fn take_opt(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    pub(crate) fn string(&mut self, name: &'static str) -> Result<String, Error> {
        let value = self.take(name)?;
        as_string(value, || self.field_path(name))
    }

    pub(crate) fn int(&mut self, name: &'static str) -> Result<i64, Error> {
        let value = self.take(name)?;
        as_int(&value, || self.field_path(name))
    }

    pub(crate) fn bool(&mut self, name: &'static str) -> Result<bool, Error> {
        match self.take(name)? {
            Value::Bool(b) => Ok(b),
            other => Err(invalid(self.field_path(name), "a boolean", &other)),
        }
    }

    pub(crate) fn opt_bool(&mut self, name: &'static str) -> Result<Option<bool>, Error> {
        match self.take_opt(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(invalid(self.field_path(name), "a boolean", &other)),
        }
    }

    pub(crate) fn string_list(&mut self, name: &'static str) -> Result<Vec<String>, Error> {
        let value = self.take(name)?;
        string_list(value, &self.field_path(name))
    }

    /// What is left: the unrecognised fields.
    pub(crate) fn rest(self) -> Map<String, Value> {
        self.map
    }
}

pub(crate) fn string_list(value: Value, path: &str) -> Result<Vec<String>, Error> {
    let items = as_array(value, || path.to_owned())?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| as_string(item, || format!("{path}[{index}]")))
        .collect()
}

/// Builds the JSON object of a type: the unrecognised fields first, then the known ones (so a
/// known field always wins over an unrecognised field of the same name).
pub(crate) fn object_with(
    unrecognized: &Map<String, Value>,
    known: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    let mut map = unrecognized.clone();
    for (name, value) in known {
        map.insert(name.to_owned(), value);
    }
    Value::Object(map)
}
