//! Message filter: a [CEL](https://cel.dev) expression evaluated against each
//! message (`/` in the TUI, `--filter EXPR` in `pulsar-tui read`).
//!
//! # Why CEL (crate `cel` 0.15, cel-rust) and not jq (`jaq-core` 3)
//!
//! Both were tried on the same messages (~195-byte JSON values, the filter
//! `value.amount > 990.0 && key.startsWith("k-")`), on the same shared build
//! machine:
//!
//! * **Fit.** A filter is a predicate. CEL *is* a predicate language, with
//!   `&&`/`||`/`!`, `has()`, `in`, `startsWith`/`contains`/`matches` and
//!   timestamps, and is what kafbat-ui's "smart filters" use, so users may
//!   already know it. jq programs are stream transformers (`select(...)`,
//!   `.key | startswith("k-")`, `and`/`or`), awkward for one-line predicates.
//! * **Speed.** jaq needs an owned `jaq_json::Val` per message: converting
//!   the `serde_json::Value` took 3-25 µs and running the program ~12 µs.
//!   cel 0.15 evaluates over borrowed data through a `VariableResolver`, so
//!   only the fields an expression touches are converted (strings borrowed,
//!   not copied): ~0.8 µs per message, ~3.3k instructions (`benches/filter.rs`).
//! * **Build.** Both compile in a couple of minutes from scratch; cel pulls an
//!   ANTLR runtime and, through its `chrono` feature, `chrono-tz` (there is no
//!   feature for the timestamp type without it).
//!
//! cel's `regex` feature is off: it compiles the pattern of `matches()` on
//! every call (~30 µs per message); `regex_cache.rs` declares the same
//! function with the patterns cached.
//!
//! # What an expression sees
//!
//! | name | CEL type |
//! |---|---|
//! | `key`, `ordering_key` | `string` or `null` |
//! | `properties` | `map(string, string)` |
//! | `publish_time` | `timestamp` |
//! | `event_time` | `timestamp` or `null` |
//! | `producer`, `message_id` (`"ledger:entry:partition:batch"`), `topic` | `string` |
//! | `sequence_id`, `partition` (-1 when not partitioned), `size` (payload bytes) | `int` |
//! | `schema_version`, `redelivery_count` | `int` or `null` |
//! | `value` | the decoded JSON payload: `map`, `list`, `int`/`uint`/`double`, `string`, `bool` or `null` |
//! | `decode_error` | `string` or `null` |
//! | `now` | `timestamp`: when the filter was compiled |
//!
//! The standard CEL library is available, plus the `strings`
//! (`lowerAscii()`, `split()`, `replace()`, ...), `lists` and `math`
//! extensions. Timestamps compare with literals written as
//! `timestamp("2026-11-27T10:00:00Z")` (RFC 3339), and `now - duration("1h")`
//! works. Comparisons mix `int`/`uint`/`double` freely (`value.amount > 100`
//! holds for `150.5`), but arithmetic does not (`value.amount + 1` on a double
//! fails; write `1.0`).
//!
//! # Missing data is "no match", not an error
//!
//! A field that is absent (`value.x` on a message whose value has no `x`), an
//! out-of-range list index, or a function applied to a `null` (a message with
//! no key tested with `key.startsWith("k-")`) makes the whole filter `false`
//! for that message, rather than an error. CEL's `||`/`&&` still absorb such
//! errors when the other side decides (`value.x > 1 || key == "a"` matches a
//! message keyed `a` without `x`). The consequence: `!(value.x == 1)` is also
//! `false` when `x` is absent; write `!has(value.x) || value.x != 1` to match
//! those messages too. Other runtime errors (comparing a string with a
//! number, a non-boolean result, an unknown function) are reported as
//! [`FilterError::Eval`]. Unknown top-level names (`vaule.amount`) are rejected
//! by [`Filter::compile`].
//!
//! # Cost
//!
//! Reading a scalar (`key`, `value.a.b`) costs a few hundred nanoseconds.
//! An expression that uses a JSON object or list as a whole (`size(value)`,
//! `value.items.exists(...)`, `value.tags == [...]`) converts that part of
//! the payload to CEL maps and lists for each message: a few microseconds for
//! a 200-byte payload.
//!
//! # Limits
//!
//! Sources longer than 8 KiB, nested more than 24 brackets deep, or whose
//! tree is deeper than 40 operations are rejected at compile time: the
//! parser and the interpreter recurse on the stack.

mod input;
mod regex_cache;

#[cfg(test)]
mod tests;

use std::sync::{Arc, LazyLock};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::common::types::{CelBool, CelTimestamp};
use cel::{Context, Env, ExecutionError, Program, Value};

pub use input::FilterInput;
use input::MessageVars;

/// Names an expression can use: the message fields and `now`.
const VARIABLES: &[&str] = &[
    "key",
    "ordering_key",
    "properties",
    "publish_time",
    "event_time",
    "producer",
    "sequence_id",
    "message_id",
    "partition",
    "schema_version",
    "redelivery_count",
    "size",
    "value",
    "decode_error",
    "topic",
    "now",
];

/// Identifiers that name types (`type(value) == map`) or function namespaces
/// (`math.greatest(...)`, `optional.of(...)`) rather than variables.
const OTHER_IDENTIFIERS: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "duration",
    "dyn",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "timestamp",
    "type",
    "uint",
    "math",
    "optional",
    "strings",
    "lists",
    "google",
];

/// Expressions longer than this are rejected: a filter is typed by hand.
const MAX_SOURCE_LEN: usize = 8 * 1024;

/// Most brackets open at once, and most `?:` conditionals, in a source.
const MAX_NESTING: usize = 24;

/// Deepest expression tree accepted: evaluating one level takes up to ~32 KiB
/// of the caller's stack in a debug build (far less optimised), and a thread
/// may have as little as 2 MiB.
const MAX_TREE_DEPTH: usize = 40;

/// Sources up to this long and nested at most [`INLINE_PARSE_NESTING`] deep,
/// which is nearly all of them, are parsed on the caller's thread: they take
/// less than 1 MiB of stack in a debug build.
const INLINE_PARSE_LEN: usize = 256;
const INLINE_PARSE_NESTING: usize = 4;

/// Stack of the thread larger sources are parsed on.
const PARSE_STACK: usize = 32 << 20;

/// A compiled filter expression.
pub struct Filter {
    source: String,
    env: Arc<Env>,
    program: Program,
    now: CelTimestamp,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter").field("source", &self.source).finish_non_exhaustive()
    }
}

/// Why a filter could not be compiled or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The expression does not parse, or names an unknown field. `column` is
    /// 1-based, in characters, on the line the error is on.
    #[error("{}", syntax_display(.message, *.column))]
    Syntax { message: String, column: Option<usize> },
    /// The expression failed on a message, e.g. it returned a non-boolean or
    /// compared a string with a number.
    #[error("filter error: {0}")]
    Eval(String),
}

fn syntax_display(message: &str, column: Option<usize>) -> String {
    match column {
        Some(column) => format!("syntax error at column {column}: {message}"),
        None => format!("syntax error: {message}"),
    }
}

impl Filter {
    /// Parses `expr`. Fails with [`FilterError::Syntax`], with the position
    /// when known, on a parse error or on an unknown top-level name.
    pub fn compile(expr: &str) -> Result<Filter, FilterError> {
        if expr.trim().is_empty() {
            return Err(syntax("empty filter", None));
        }
        if expr.len() > MAX_SOURCE_LEN {
            return Err(syntax(&format!("filter longer than {MAX_SOURCE_LEN} bytes"), None));
        }
        let nesting = check_nesting(expr)?;
        let env = Arc::clone(&ENV);
        let program = if expr.len() <= INLINE_PARSE_LEN && nesting <= INLINE_PARSE_NESTING {
            parse(&env, expr)?
        } else {
            // The ANTLR parser recurses deeply (some 100 KiB of stack per
            // bracket level in a debug build): parse a larger source on a
            // thread with a stack large enough for any source
            // `check_nesting` lets through, whatever thread the caller is on.
            let spawned = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .name("filter-parse".to_owned())
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(scope, || parse(&env, expr))
                    .map(|handle| handle.join())
            });
            match spawned {
                Ok(Ok(result)) => result?,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // no thread could be started: try here
                Err(_) => parse(&env, expr)?,
            }
        };
        let now = chrono::Utc::now().fixed_offset().into();
        Ok(Filter { source: expr.to_owned(), env, program, now })
    }

    /// The expression this filter was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `msg` passes the filter. Missing fields, out-of-range indexes
    /// and functions applied to `null` make it `Ok(false)` (see the module
    /// documentation); a non-boolean result and other runtime errors are
    /// [`FilterError::Eval`].
    pub fn matches(&self, msg: &FilterInput<'_>) -> Result<bool, FilterError> {
        let vars = MessageVars::new(msg, &self.now);
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.set_variable_resolver(&vars);
        let outcome = match Value::resolve_val(self.program.expression(), &ctx) {
            Ok(result) => match result.downcast_ref::<CelBool>() {
                Some(b) => Ok(*b.inner()),
                None => Err(FilterError::Eval(format!(
                    "filter must return true or false, got {} {}",
                    result.get_type().name(),
                    describe(result.as_ref())
                ))),
            },
            Err(error) if is_missing_data(&error) => Ok(false),
            Err(error) => Err(FilterError::Eval(error.to_string())),
        };
        outcome
    }
}

fn syntax(message: &str, column: Option<usize>) -> FilterError {
    FilterError::Syntax { message: message.to_owned(), column }
}

/// Rejects sources nested deeper than [`MAX_NESTING`], before the parser sees
/// them. Brackets in string literals count too: this only errs on the safe
/// side, for sources no one types.
fn check_nesting(expr: &str) -> Result<usize, FilterError> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut conditionals = 0usize;
    for (offset, c) in expr.char_indices() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '?' => conditionals += 1,
            _ => {}
        }
        if depth > MAX_NESTING || conditionals > MAX_NESTING {
            return Err(syntax(
                &format!("expression nested too deeply (more than {MAX_NESTING} levels)"),
                Some(column_of(expr, offset)),
            ));
        }
    }
    Ok(deepest.max(conditionals))
}

/// Parses `expr` and checks the names it uses and the depth of its tree.
fn parse(env: &Env, expr: &str) -> Result<Program, FilterError> {
    let program = env.compile(expr).map_err(|errors| {
        let Some(first) = errors.errors.first() else {
            return syntax("invalid expression", None);
        };
        if first.msg.contains("Recursion limit") {
            return syntax("expression nested too deeply", None);
        }
        let (line, column) = first.pos;
        let mut message = first.msg.strip_prefix("Syntax error: ").unwrap_or(&first.msg).to_owned();
        if line > 1 {
            message = format!("{message} (line {line})");
        }
        // the parser's columns are 1-based, in characters
        syntax(&message, usize::try_from(column).ok().filter(|&c| c > 0))
    })?;
    let position = |id: u64| program.source_info().offset_for(id).map(|(start, _)| column_of(expr, start as usize));
    if let Some((name, id)) = unknown_identifier(program.expression()) {
        return Err(syntax(&format!("unknown name '{name}'; a filter can use {}", VARIABLES.join(", ")), position(id)));
    }
    if let Some(id) = too_deep(program.expression(), MAX_TREE_DEPTH) {
        return Err(syntax(
            &format!("expression too complex (more than {MAX_TREE_DEPTH} nested operations)"),
            position(id),
        ));
    }
    Ok(program)
}

/// The id of a node deeper than `max` in `expr`, if any. Evaluation recurses
/// once per level, on the caller's stack.
fn too_deep(expr: &IdedExpr, max: usize) -> Option<u64> {
    if max == 0 {
        return Some(expr.id);
    }
    let below = max - 1;
    match &expr.expr {
        Expr::Call(call) => call.target.as_deref().into_iter().chain(call.args.iter()).find_map(|e| too_deep(e, below)),
        Expr::Comprehension(c) => [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
            .into_iter()
            .find_map(|e| too_deep(e, below)),
        Expr::List(list) => list.elements.iter().find_map(|e| too_deep(e, below)),
        Expr::Map(map) => map.entries.iter().find_map(|entry| match &entry.expr {
            EntryExpr::MapEntry(e) => too_deep(&e.key, below).or_else(|| too_deep(&e.value, below)),
            EntryExpr::StructField(f) => too_deep(&f.value, below),
        }),
        Expr::Struct(s) => s.entries.iter().find_map(|entry| match &entry.expr {
            EntryExpr::MapEntry(e) => too_deep(&e.key, below).or_else(|| too_deep(&e.value, below)),
            EntryExpr::StructField(f) => too_deep(&f.value, below),
        }),
        Expr::Select(select) => too_deep(&select.operand, below),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => None,
    }
}

/// The CEL environment filters compile and run in, built once.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(env()));

fn env() -> Env {
    let mut env = Env::stdlib();
    for extension in [
        cel::extensions::strings as fn(&mut Env) -> Result<(), cel::DeclarationError>,
        cel::extensions::lists,
        cel::extensions::math,
        regex_cache::extension,
    ] {
        // the extensions declare distinct functions: this cannot conflict
        env.add_extension(extension).expect("CEL extensions are compatible");
    }
    env
}

/// Whether `error` stems from data the message lacks: an absent field or
/// index, or `null` given to a function or operator.
fn is_missing_data(error: &ExecutionError) -> bool {
    match error {
        ExecutionError::NoSuchKey(_) | ExecutionError::IndexOutOfBounds(_) => true,
        // `.f` or `[i]` on a value that has no fields: a field is missing
        ExecutionError::NoSuchOverload(overload)
            if matches!(overload.function(), "_._" | "_[_]" | "_[?_]" | "_?._") =>
        {
            true
        }
        ExecutionError::NoSuchOverload(overload) => {
            overload.argument_types().iter().any(|t| t == "null_type" || t == "null")
        }
        ExecutionError::UnsupportedTargetType { target } | ExecutionError::NotSupportedAsMethod { target, .. } => {
            matches!(target, Value::Null)
        }
        ExecutionError::ValuesNotComparable(a, b) | ExecutionError::UnsupportedBinaryOperator(_, a, b) => {
            matches!(a, Value::Null) || matches!(b, Value::Null)
        }
        ExecutionError::UnexpectedType { got, .. } => got == "null_type" || got == "null",
        _ => false,
    }
}

/// A short rendering of a non-boolean result for an error message.
fn describe(val: &dyn cel::common::value::Val) -> String {
    let text = match Value::try_from(val) {
        Ok(Value::String(s)) => format!("{s:?}"),
        Ok(Value::Int(i)) => i.to_string(),
        Ok(Value::UInt(u)) => format!("{u}u"),
        Ok(Value::Float(f)) => f.to_string(),
        Ok(Value::Null) => "null".to_owned(),
        Ok(Value::Timestamp(t)) => t.to_rfc3339(),
        Ok(other) => format!("{other:?}"),
        Err(_) => format!("{val:?}"),
    };
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The 1-based column, in characters on its line, of the character at byte
/// `offset` of `source` (the parser records node positions in bytes).
fn column_of(source: &str, offset: usize) -> usize {
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.rfind('\n').map_or(before, |p| &before[p + 1..]);
    line.chars().count() + 1
}

/// The first identifier of `expr` that is neither a message field, a type
/// or namespace name, nor a variable bound by a macro (`x` in
/// `value.items.exists(x, x.qty > 1)`), with the id of its node.
fn unknown_identifier(expr: &IdedExpr) -> Option<(String, u64)> {
    fn walk<'e>(expr: &'e IdedExpr, bound: &mut Vec<&'e str>) -> Option<(String, u64)> {
        match &expr.expr {
            Expr::Ident(name) => {
                let known = name.starts_with('@')
                    || VARIABLES.contains(&name.as_str())
                    || OTHER_IDENTIFIERS.contains(&name.as_str())
                    || bound.contains(&name.as_str());
                (!known).then(|| (name.clone(), expr.id))
            }
            Expr::Call(call) => call.target.as_deref().into_iter().chain(call.args.iter()).find_map(|e| walk(e, bound)),
            Expr::Comprehension(c) => {
                if let Some(found) = walk(&c.iter_range, bound) {
                    return Some(found);
                }
                let depth = bound.len();
                bound.push(&c.accu_var);
                let found = walk(&c.accu_init, bound).or_else(|| {
                    bound.push(&c.iter_var);
                    if let Some(v2) = &c.iter_var2 {
                        bound.push(v2);
                    }
                    [&c.loop_cond, &c.loop_step, &c.result].into_iter().find_map(|e| walk(e, bound))
                });
                bound.truncate(depth);
                found
            }
            Expr::List(list) => list.elements.iter().find_map(|e| walk(e, bound)),
            Expr::Map(map) => map.entries.iter().find_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(e) => walk(&e.key, bound).or_else(|| walk(&e.value, bound)),
                EntryExpr::StructField(f) => walk(&f.value, bound),
            }),
            Expr::Select(select) => walk(&select.operand, bound),
            Expr::Struct(s) => s.entries.iter().find_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(e) => walk(&e.key, bound).or_else(|| walk(&e.value, bound)),
                EntryExpr::StructField(f) => walk(&f.value, bound),
            }),
            Expr::Literal(_) | Expr::Unspecified => None,
        }
    }
    walk(expr, &mut Vec::new())
}

#[allow(dead_code)]
fn assert_filter_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Filter>();
}
