//! Where an encoding error is: a JSON path (`$.items[2].qty`), kept as a stack while the
//! value is walked and rendered only when something is wrong.

use serde_json::Value;

/// A value that does not fit the schema, or a schema that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EncodeError {
    /// The JSON path of the offending value (`$` for the whole value, `schema` for the schema).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl EncodeError {
    /// An error at `path`.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> EncodeError {
        EncodeError { path: path.into(), message: message.into() }
    }

    /// A schema that cannot be used for writing.
    pub fn schema(message: impl Into<String>) -> EncodeError {
        EncodeError::at("schema", message)
    }
}

#[derive(Debug, Clone)]
enum Seg {
    Field(String),
    Index(usize),
}

/// The path walked so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Path(Vec<Seg>);

impl Path {
    pub(crate) fn field(&mut self, name: &str) {
        self.0.push(Seg::Field(name.to_string()));
    }

    pub(crate) fn index(&mut self, i: usize) {
        self.0.push(Seg::Index(i));
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.0 {
            match seg {
                Seg::Field(f) if !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                    s.push('.');
                    s.push_str(f);
                }
                Seg::Field(f) => s.push_str(&format!("[{}]", Value::String(f.clone()))),
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> EncodeError {
        EncodeError::at(self.render(), message)
    }

    /// `expected <what>, got <the value>`.
    pub(crate) fn expected(&self, what: &str, got: &Value) -> EncodeError {
        self.err(format!("expected {what}, got {}", shown(got)))
    }
}

/// A value as an error message shows it: its JSON, cut at 40 characters.
pub(crate) fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}
