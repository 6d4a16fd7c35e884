//! The front end as one entry point: read a file → apply `--set` → parse → check → lower. The
//! CLI (`check`, `plan`, `run`), `merge`, the language server and the tests all come through
//! here, and every caller runs it on [`on_big_stack`]: the parser, checker and formatter
//! recurse on nesting, and no input, however deep, may overflow the stack.

use std::path::Path;

use crate::ast;
use crate::diag::{InputError, Problem};
use crate::plan::Plan;
use crate::source::{SourceFile, Span};

/// The stack the front end runs on. Nesting is capped by the parser's depth guard; this
/// leaves the recursion of every stage room to spare.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

/// Runs `work` on a thread with a [`STACK_SIZE`] stack and waits for it; `Err` when it
/// panicked (the panic hook has already reported it).
pub fn on_big_stack<T: Send>(work: impl FnOnce() -> T + Send) -> std::thread::Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, work)
            .expect("spawning a big-stack thread")
            .join()
    })
}

/// What the front end made of one file.
pub struct FrontEnd {
    /// The file as checked (after `--set`); `None` when it could not be read.
    pub file: Option<SourceFile>,
    /// Errors and warnings, in order.
    pub problems: Vec<Problem>,
    /// The plan, when the file is valid.
    pub plan: Option<Plan>,
    /// The file is invalid (or unreadable): nothing may run.
    pub failed: bool,
}

impl FrontEnd {
    fn failed(file: Option<SourceFile>, problems: Vec<Problem>) -> Self {
        FrontEnd {
            file,
            problems,
            plan: None,
            failed: true,
        }
    }
}

/// A valid file's plan and its warnings.
pub struct Compiled {
    pub plan: Plan,
    pub warnings: Vec<Problem>,
}

/// Reads a file as UTF-8 text.
pub fn read_source(path: &Path) -> Result<SourceFile, Problem> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| InputError::Read {
        path: name.clone(),
        reason: e.to_string(),
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => Err(InputError::NotUtf8 {
            path: name,
            offset: e.utf8_error().valid_up_to(),
        }
        .into()),
    }
}

/// The whole front end on the file at `path`, with `--set NAME=VALUE` overrides of `let`
/// constants applied to its text, on a big stack. Data paths resolve against the file's folder.
pub fn load(path: &Path, overrides: &[String]) -> FrontEnd {
    on_big_stack(|| load_here(path, overrides)).unwrap_or_else(|_| FrontEnd::failed(None, vec![]))
}

fn load_here(path: &Path, overrides: &[String]) -> FrontEnd {
    let mut file = match read_source(path) {
        Ok(file) => file,
        Err(problem) => return FrontEnd::failed(None, vec![problem]),
    };
    if !overrides.is_empty() {
        let ast = match crate::syntax::parse(&file) {
            Ok(ast) => ast,
            Err(errors) => return FrontEnd::failed(Some(file), problems(errors)),
        };
        file = match apply_overrides(&file, &ast, overrides) {
            Ok(file) => file,
            Err(problem) => return FrontEnd::failed(Some(file), vec![problem.into()]),
        };
    }
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    match compile(&file, Some(&base_dir)) {
        Ok(compiled) => FrontEnd {
            file: Some(file),
            problems: compiled.warnings,
            plan: Some(compiled.plan),
            failed: false,
        },
        Err(errors) => FrontEnd::failed(Some(file), errors),
    }
}

/// Parse → check → lower a file in memory, on the caller's stack (see [`on_big_stack`]).
/// `Err` holds every problem of an invalid file, errors and warnings in order.
pub fn compile(file: &SourceFile, base_dir: Option<&Path>) -> Result<Compiled, Vec<Problem>> {
    let ast = crate::syntax::parse(file).map_err(problems)?;
    let checked = crate::checker::check(file, &ast, base_dir).map_err(problems)?;
    let plan = crate::checker::lower(&checked);
    Ok(Compiled {
        plan,
        warnings: problems(checked.warnings),
    })
}

/// Parse + check (no lowering) of a file in memory, on the caller's stack: every problem,
/// errors and warnings, in order. What the language server shows as you type.
pub fn check(file: &SourceFile, base_dir: Option<&Path>) -> Vec<Problem> {
    match crate::syntax::parse(file) {
        Err(errors) => problems(errors),
        Ok(ast) => match crate::checker::check(file, &ast, base_dir) {
            Ok(checked) => problems(checked.warnings),
            Err(errors) => problems(errors),
        },
    }
}

fn problems<E: Into<Problem>>(errors: Vec<E>) -> Vec<Problem> {
    errors.into_iter().map(Into::into).collect()
}

/// Applies `--set NAME=VALUE` overrides: the text of `let NAME = …`'s value is replaced by
/// VALUE, so everything downstream (check, diagnostics) sees one coherent file. VALUE is in the
/// language's syntax (`--set users=50`, `--set 'token="abc"'`); a VALUE that is a bare word
/// or does not parse as an expression is taken as a string (`--set token=abc`).
pub fn apply_overrides(
    file: &SourceFile,
    ast: &ast::File,
    overrides: &[String],
) -> Result<SourceFile, InputError> {
    let mut edits: Vec<(Span, String)> = Vec::new();
    for item in overrides {
        let Some((name, value)) = item.split_once('=') else {
            return Err(InputError::BadSet {
                message: format!("`--set {item}` has no `=`"),
                help: "write `--set NAME=VALUE`".into(),
            });
        };
        let name = name.trim();
        let lets: Vec<&ast::Let> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                ast::Item::Let(l) => Some(l),
                _ => None,
            })
            .collect();
        let Some(target) = lets.iter().find(|l| l.name.text == name) else {
            let names = lets.iter().map(|l| l.name.text.as_str());
            let help = match crate::suggest::did_you_mean(name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None if lets.is_empty() => "this file declares no `let` constant".into(),
                None => format!(
                    "constants of this file: {}",
                    lets.iter()
                        .map(|l| l.name.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(InputError::BadSet {
                message: format!("`--set {name}`: no `let {name}` in `{}`", file.name),
                help,
            });
        };
        // A literal (number, duration, …, string, list, object) is inserted as written; any
        // other text, such as `sk-abc` (which would parse as a subtraction), as a string.
        // A `let` declared as a string takes any value as its text (`--set token=12345`).
        let wants_text = matches!(
            target.value.kind,
            ast::ExprKind::Str(_) | ast::ExprKind::RawStr(_)
        );
        let is_expr = match crate::secrets::classify(value) {
            crate::secrets::SetValue::Text => false,
            crate::secrets::SetValue::Literal => !wants_text,
            crate::secrets::SetValue::Code => true,
        };
        let text = if is_expr {
            value.to_string()
        } else {
            serde_json::to_string(value)
                .expect("a string serializes")
                .replace('$', "\\$")
        };
        if let Some(problem) = kind_mismatch(name, target, &text) {
            return Err(problem);
        }
        edits.push((target.value.span, text));
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut text = file.text.to_string();
    for (span, value) in edits {
        text.replace_range(span.start as usize..span.end as usize, &value);
    }
    Ok(SourceFile::new(file.name.clone(), text))
}

/// What a `let` literal is, in words, with the example a `--set` of it could give: `None` for a
/// value that is not a plain literal (an expression, a list), whose use the checker judges.
fn literal_kind(kind: &ast::ExprKind) -> Option<&'static str> {
    Some(match kind {
        ast::ExprKind::Number { integer: true, .. } => "a whole number (like `--set NAME=10`)",
        ast::ExprKind::Number { .. } => "a number (like `--set NAME=1.5`)",
        ast::ExprKind::Duration(_) => "a duration (like `--set NAME=30s`)",
        ast::ExprKind::Percent(_) => "a percentage (like `--set NAME=5%`)",
        ast::ExprKind::Rate(_) => "a rate (like `--set NAME=10/s`)",
        ast::ExprKind::Size(_) => "a size (like `--set NAME=64KiB`)",
        ast::ExprKind::Bandwidth(_) => "a bandwidth (like `--set NAME=64KiB/s`)",
        ast::ExprKind::Money(_) => "an amount of money (like `--set NAME=$0.01`)",
        ast::ExprKind::StatusClass(_) => "a status class (like `--set NAME=5xx`)",
        ast::ExprKind::Str(_) | ast::ExprKind::RawStr(_) => "a string",
        ast::ExprKind::Name(n) if n.text == "true" || n.text == "false" => "`true` or `false`",
        ast::ExprKind::Unary { operand, .. } => return literal_kind(&operand.kind),
        ast::ExprKind::Paren(inner) => return literal_kind(&inner.kind),
        _ => return None,
    })
}

/// `--set users=abc` where the file has `let users = 10`: an error that names `--set users`
/// and the kind of value it takes. The value itself is never shown: it may be a secret.
fn kind_mismatch(name: &str, target: &ast::Let, value_text: &str) -> Option<InputError> {
    let wanted = literal_kind(&target.value.kind)?;
    let probe = SourceFile::new("--set", format!("let x = {value_text}"));
    let given = match crate::syntax::parse(&probe).ok()?.items.first()? {
        ast::Item::Let(l) => literal_kind(&l.value.kind),
        _ => None,
    };
    // A whole number and a fraction are both numbers: which a use takes is the checker's call.
    let numeric = |k: &str| k.starts_with("a whole number") || k.starts_with("a number");
    let same = |a: &str, b: &str| a == b || (numeric(a) && numeric(b));
    if given.is_some_and(|g| same(wanted, g)) {
        return None;
    }
    let found = given.map_or("text that is none of these", |g| {
        g.split(" (like").next().unwrap_or(g)
    });
    Some(InputError::BadSet {
        message: format!(
            "`--set {name}` expects {}, as `let {name}` is declared; found {found}",
            wanted.split(" (like").next().unwrap_or(wanted)
        ),
        help: format!("give {}", wanted.replace("NAME", name)),
    })
}
