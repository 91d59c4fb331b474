//! CEL's `matches()`, with compiled patterns cached.
//!
//! cel's own `matches` (its `regex` feature) compiles the pattern on every
//! call: ~30 µs per message for a simple pattern, which dominates a scan. This
//! declares the same two overloads, `matches(string, string)` and
//! `string.matches(string)`, with the same RE2-like syntax (the `regex`
//! crate), keeping the last patterns compiled per thread.

use std::cell::RefCell;
use std::collections::HashMap;

use cel::common::types::{CelBool, CelString};
use cel::{DeclarationError, Env, ExecutionError};

/// Patterns kept per thread; the cache is emptied when it would grow past.
const CACHE_SIZE: usize = 32;

thread_local! {
    static CACHE: RefCell<HashMap<String, Result<regex::Regex, String>>> =
        RefCell::new(HashMap::new());
}

fn matches(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let pattern = re.inner();
    CACHE.with_borrow_mut(|cache| {
        if !cache.contains_key(pattern) {
            if cache.len() >= CACHE_SIZE {
                cache.clear();
            }
            let compiled = regex::Regex::new(pattern).map_err(|err| format!("'{pattern}' not a valid regex:\n{err}"));
            cache.insert(pattern.to_owned(), compiled);
        }
        match &cache[pattern] {
            Ok(compiled) => Ok(CelBool::from(compiled.is_match(this.inner()))),
            Err(message) => {
                Err(ExecutionError::FunctionError { function: "matches".to_owned(), message: message.clone() })
            }
        }
    })
}

/// Declares `matches` on `env`, which must not declare it already.
pub(super) fn extension(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>,
        id = "matches")?;
    cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>)?;
    Ok(())
}
