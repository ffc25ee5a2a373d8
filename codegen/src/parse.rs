//! Reading a function's configuration out of an event file's source.
//!
//! The expected form is one `impl Function for T` of a `pub struct T;`, whose `CONFIG` is a
//! `Config { .. }` literal. Every field value must be a literal in one of the forms below,
//! because codegen reads it at build time:
//!
//! - `id: "text"` and `name: "text"`;
//! - `triggers: &[..]` of `Trigger::event("a/b")`, `Trigger::event_if("a/b", "cel")` and
//!   `Trigger::cron("0 9 * * *")`;
//! - `retries: Some(3)` or `None`;
//! - `concurrency: Some(Concurrency::limit(5))`, `Some(Concurrency::keyed(5, "cel"))` or
//!   `None`;
//! - `cancel_on: &[..]` of `Cancel::event("a/b")` and `Cancel::event_if("a/b", "cel")`, each
//!   optionally followed by `.timeout(Duration::from_secs(n))` (or `from_millis`,
//!   `from_mins`, `from_hours`).
//!
//! The impl may also declare the function's own failure handler, `fn on_failure`, whose
//! signature is read (one `Context<FunctionFailed>` argument and a return type) but not its
//! body.
//!
//! The file is lexed with function bodies and comments blanked out (see [`crate::scan`]),
//! its items are parsed with `syn` (of the impl that declares `CONFIG`, only that
//! declaration and the signature of `on_failure`), and the `CONFIG` literal is read token by
//! token, since these forms are few and `syn`'s expression parser is the slowest part of
//! reading a file. When the literal does not have one of these forms, `syn` parses it to
//! tell a syntax error from a value that is valid Rust but not a literal.

use std::ops::Range;

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::{ImplItem, Item, ItemImpl, Lit};

use crate::diagnostic::Problem;
use crate::scan::blank_bodies_and_comments;

/// Stands in for the `CONFIG` expression while `syn` parses the items around it.
const PLACEHOLDER: &str = "__switchyard_config";

/// The name of the failure handler a function may declare.
const ON_FAILURE: &str = "on_failure";

/// A value with the bytes of the source that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located<T> {
    pub(crate) value: T,
    pub(crate) range: Range<usize>,
}

/// A trigger as written, with where each part is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParsedTrigger {
    Event {
        event: Located<String>,
        expression: Option<Located<String>>,
    },
    Cron {
        cron: Located<String>,
    },
}

/// A concurrency limit as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedConcurrency {
    pub(crate) limit: Located<u32>,
    pub(crate) key: Option<Located<String>>,
}

/// A cancellation as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedCancel {
    pub(crate) event: Located<String>,
    pub(crate) expression: Option<Located<String>>,
    /// The timeout in milliseconds.
    pub(crate) timeout: Option<Located<u64>>,
}

/// The configuration found in one event file; fields that were missing or unreadable are
/// `None`, and the problems say why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Parsed {
    pub(crate) type_name: String,
    /// The `Config` path of the literal, for problems about a missing field.
    pub(crate) config_range: Range<usize>,
    pub(crate) id: Option<Located<String>>,
    pub(crate) name: Option<Located<String>>,
    pub(crate) triggers: Option<Located<Vec<ParsedTrigger>>>,
    /// `None` when absent, set to `None`, or unreadable.
    pub(crate) retries: Option<Located<u32>>,
    /// `None` when absent, set to `None`, or unreadable.
    pub(crate) concurrency: Option<ParsedConcurrency>,
    /// `None` when absent or unreadable.
    pub(crate) cancel_on: Option<Located<Vec<ParsedCancel>>>,
    /// Where `fn on_failure` is named, when the impl declares it (well-formed or not).
    pub(crate) on_failure: Option<Range<usize>>,
    /// Every field the literal sets, readable or not.
    pub(crate) fields: Vec<String>,
}

/// A problem at a byte range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) range: Range<usize>,
    pub(crate) problem: Problem,
}

/// Parses `text` and reads the one `impl Function` it must contain.
///
/// Returns what could be read and every problem found; the configuration is `None` when the
/// file is not in the expected form at all.
pub(crate) fn parse(text: &str) -> (Option<Parsed>, Vec<Found>) {
    let mut reader = Reader { found: Vec::new() };
    let parsed = reader.file(&without_preamble(text));

    // Spans were turned into byte ranges; drop this thread's copy of the source so that
    // checking thousands of files keeps memory and span lookups small.
    proc_macro2::extra::invalidate_current_thread_spans();
    (parsed, reader.found)
}

struct Reader {
    found: Vec<Found>,
}

/// The text with a byte order mark and a shebang line turned into spaces, as rustc skips
/// them, so that byte offsets stay those of the file.
fn without_preamble(text: &str) -> std::borrow::Cow<'_, str> {
    let mut end = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[end..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        end += rest.find('\n').unwrap_or(rest.len());
    }
    if end == 0 {
        return text.into();
    }
    format!("{}{}", " ".repeat(end), &text[end..]).into()
}

impl Reader {
    fn file(&mut self, text: &str) -> Option<Parsed> {
        let tokens = self.lex(text)?;
        let mut configs = Vec::new();
        let tokens = take_configs(tokens, &mut configs, Body::Other);
        let file = match syn::parse2::<syn::File>(tokens) {
            Ok(file) => file,
            Err(error) => {
                let message = error.to_string();
                self.at(error.span(), Problem::Syntax { message });
                return None;
            }
        };

        let item = self.the_impl(&file)?;
        let type_name = self.type_name(&file, item);
        let Some(constant) = item.items.iter().find_map(|item| match item {
            ImplItem::Const(constant) if constant.ident == "CONFIG" => Some(constant),
            _ => None,
        }) else {
            let problem = Problem::MissingConfig { name: type_name };
            self.at(item.self_ty.span(), problem);
            return None;
        };

        let at = constant.ident.span().byte_range().start;
        let Some((_, tokens)) = configs.iter().find(|(start, _)| *start == at) else {
            self.at(constant.expr.span(), Problem::ConfigNotLiteral);
            return None;
        };
        let mut parsed = Parsed {
            type_name,
            ..Parsed::default()
        };
        parsed.on_failure = self.on_failure(item);
        self.misplaced_on_failure(&file, &parsed.type_name);
        self.config(tokens, &mut parsed)?;
        Some(parsed)
    }

    /// Where the impl declares `fn on_failure`, after checking its signature: no receiver,
    /// no generics, one `Context<FunctionFailed>` argument and a return type.
    fn on_failure(&mut self, item: &ItemImpl) -> Option<Range<usize>> {
        let function = item.items.iter().find_map(|item| match item {
            ImplItem::Fn(function) if function.sig.ident == ON_FAILURE => Some(function),
            _ => None,
        })?;
        let sig = &function.sig;

        let inputs: Vec<&syn::FnArg> = sig.inputs.iter().collect();
        let problem = match inputs.as_slice() {
            _ if !sig.generics.params.is_empty() => {
                Some((sig.generics.span(), "it must not be generic"))
            }
            [syn::FnArg::Typed(argument)] if !is_failure_context(&argument.ty) => Some((
                argument.ty.span(),
                "its argument must be a `Context<FunctionFailed>`",
            )),
            [syn::FnArg::Typed(_)] => None,
            _ => Some((
                sig.inputs.span(),
                "it must take one argument, `ctx: Context<FunctionFailed>`",
            )),
        };
        let problem = problem.or_else(|| match &sig.output {
            syn::ReturnType::Default => Some((
                sig.paren_token.span.join(),
                "it must return `Result<Value>`",
            )),
            syn::ReturnType::Type(..) => None,
        });
        if let Some((span, reason)) = problem {
            let reason = reason.to_owned();
            let span = if span.byte_range().is_empty() {
                sig.ident.span()
            } else {
                span
            };
            self.at(span, Problem::InvalidFailureHandler { reason });
        }
        Some(sig.ident.span().byte_range())
    }

    /// Reports `fn on_failure` declared in an inherent impl of the function's type, where it
    /// is never called.
    fn misplaced_on_failure(&mut self, file: &syn::File, type_name: &str) {
        for item in &file.items {
            let Item::Impl(item) = item else {
                continue;
            };
            let is_inherent_impl_of_type = item.trait_.is_none()
                && matches!(&*item.self_ty, syn::Type::Path(path) if path.path.is_ident(type_name));
            if !is_inherent_impl_of_type {
                continue;
            }
            for inner in &item.items {
                if let ImplItem::Fn(function) = inner {
                    if function.sig.ident == ON_FAILURE {
                        let problem = Problem::MisplacedFailureHandler {
                            name: type_name.to_owned(),
                        };
                        self.at(function.sig.ident.span(), problem);
                    }
                }
            }
        }
    }

    /// Lexes the text with function bodies blanked; when the scanner is unsure, lexes the
    /// original text, which reports lexing errors precisely, and empties bodies afterwards.
    fn lex(&mut self, body: &str) -> Option<TokenStream> {
        if let Some(blanked) = blank_bodies_and_comments(body) {
            if let Ok(tokens) = blanked.parse::<TokenStream>() {
                return Some(tokens);
            }
        }
        match body.parse::<TokenStream>() {
            Ok(tokens) => Some(without_fn_bodies(tokens)),
            Err(error) => {
                let message = lex_message(body, error.span().byte_range().start);
                self.at(error.span(), Problem::Syntax { message });
                None
            }
        }
    }

    /// The one top-level `impl Function for T`.
    fn the_impl<'a>(&mut self, file: &'a syn::File) -> Option<&'a ItemImpl> {
        let mut top = Vec::new();
        let mut nested = Vec::new();
        collect_impls(&file.items, &mut top, &mut nested, false);
        for item in &nested {
            self.at(header_span(item), Problem::NestedFunction);
        }

        match top.as_slice() {
            [one] if nested.is_empty() => Some(*one),
            [] if nested.is_empty() => {
                self.found.push(Found {
                    range: 0..0,
                    problem: Problem::NoFunction,
                });
                None
            }
            [_, rest @ ..] => {
                let count = top.len() + nested.len();
                for item in rest {
                    let problem = Problem::TooManyFunctions { count };
                    self.at(header_span(item), problem);
                }
                None
            }
            [] => None,
        }
    }

    /// The name of the public unit struct the impl is for; a problem when there is none,
    /// but reading goes on so that every problem of the file is found.
    fn type_name(&mut self, file: &syn::File, item: &ItemImpl) -> String {
        let ident = match &*item.self_ty {
            syn::Type::Path(path)
                if path.qself.is_none()
                    && item.generics.params.is_empty()
                    && path.path.segments.len() == 1
                    && path.path.segments[0].arguments.is_none() =>
            {
                &path.path.segments[0].ident
            }
            other => {
                self.at(other.span(), Problem::UnnamedType);
                return quote::ToTokens::to_token_stream(other).to_string();
            }
        };

        let declared = file.items.iter().any(|item| match item {
            Item::Struct(s) => {
                s.ident == *ident
                    && matches!(s.vis, syn::Visibility::Public(_))
                    && matches!(s.fields, syn::Fields::Unit)
                    && s.generics.params.is_empty()
            }
            _ => false,
        });
        if !declared {
            let problem = Problem::MissingStruct {
                name: ident.to_string(),
            };
            self.at(ident.span(), problem);
        }
        ident.to_string()
    }

    /// Reads the `CONFIG` expression: `Config { field: value, .., ..Config::DEFAULT }`.
    fn config(&mut self, tokens: &[TokenTree], parsed: &mut Parsed) -> Option<()> {
        let literal = match tokens.split_last() {
            Some((TokenTree::Group(group), path))
                if group.delimiter() == Delimiter::Brace
                    && path_of(path).is_some_and(|p| p.last().is_some_and(|s| s == "Config")) =>
            {
                parsed.config_range = span_range(path);
                group
            }
            _ => {
                if !self.syntax_error(tokens) {
                    let range = span_range(tokens);
                    self.found.push(Found {
                        range,
                        problem: Problem::ConfigNotLiteral,
                    });
                }
                return None;
            }
        };

        let fields: Vec<TokenTree> = literal.stream().into_iter().collect();
        let chunks = split_commas(&fields);
        let mut seen: Vec<String> = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            let is_last = index + 1 == chunks.len();
            if chunk.is_empty() && is_last {
                break;
            }
            if !self.field(chunk, is_last, &mut seen, parsed) {
                // The literal is not a list of `name: value` fields; let syn say why.
                if !self.syntax_error(tokens) {
                    let range = span_range(chunk);
                    self.found.push(Found {
                        range,
                        problem: Problem::ConfigNotLiteral,
                    });
                }
                return None;
            }
        }
        parsed.fields = seen;
        Some(())
    }

    /// Reads one `name: value` or `..base` chunk; `false` when it is neither.
    fn field(
        &mut self,
        chunk: &[TokenTree],
        is_last: bool,
        seen: &mut Vec<String>,
        parsed: &mut Parsed,
    ) -> bool {
        if let [TokenTree::Punct(first), TokenTree::Punct(second), base @ ..] = chunk {
            if first.as_char() == '.' && second.as_char() == '.' && !base.is_empty() && is_last {
                let is_default = path_of(base)
                    .is_some_and(|p| p.ends_with(&["Config".to_owned(), "DEFAULT".to_owned()]));
                if !is_default && !self.syntax_error(base) {
                    let range = span_range(base);
                    self.found.push(Found {
                        range,
                        problem: Problem::InvalidBase,
                    });
                }
                return true;
            }
            return false;
        }
        let [TokenTree::Ident(member), TokenTree::Punct(colon), value @ ..] = chunk else {
            return false;
        };
        if colon.as_char() != ':' || colon.spacing() != Spacing::Alone || value.is_empty() {
            return false;
        }

        let name = member.to_string();
        if seen.contains(&name) {
            self.at(member.span(), Problem::DuplicateField { field: name });
            return true;
        }
        seen.push(name.clone());
        let read = match name.as_str() {
            "id" => string(value).map(|id| parsed.id = Some(id)),
            "name" => string(value).map(|text| parsed.name = Some(text)),
            "triggers" => triggers(value).map(|list| {
                let range = span_range(value);
                parsed.triggers = Some(Located { value: list, range });
            }),
            "retries" => option(value, integer).map(|retries| parsed.retries = retries),
            "concurrency" => option(value, concurrency).map(|limit| parsed.concurrency = limit),
            "cancel_on" => cancels(value).map(|list| {
                let range = span_range(value);
                parsed.cancel_on = Some(Located { value: list, range });
            }),
            _ => {
                self.at(member.span(), Problem::UnknownField { field: name });
                return true;
            }
        };
        if read.is_none() && !self.syntax_error(value) {
            let range = span_range(value);
            let problem = Problem::NotLiteral {
                expected: expected_form(&name),
                field: name,
            };
            self.found.push(Found { range, problem });
        }
        true
    }

    /// Reports the syntax error in `tokens` as an expression, if there is one.
    fn syntax_error(&mut self, tokens: &[TokenTree]) -> bool {
        let stream: TokenStream = tokens.iter().cloned().collect();
        match syn::parse2::<syn::Expr>(stream) {
            Ok(_) => false,
            Err(error) => {
                let span = if error.span().byte_range() == (0..0) {
                    tokens.first().map_or(Span::call_site(), TokenTree::span)
                } else {
                    error.span()
                };
                let message = error.to_string();
                self.at(span, Problem::Syntax { message });
                true
            }
        }
    }

    fn at(&mut self, span: Span, problem: Problem) {
        let range = span.byte_range();
        self.found.push(Found { range, problem });
    }
}

/// Reads `"text"`.
fn string(tokens: &[TokenTree]) -> Option<Located<String>> {
    let [TokenTree::Literal(literal)] = tokens else {
        return None;
    };
    match Lit::new(literal.clone()) {
        Lit::Str(text) if text.suffix().is_empty() => Some(Located {
            value: text.value(),
            range: literal.span().byte_range(),
        }),
        _ => None,
    }
}

/// Reads an integer literal that fits a `u32`.
fn integer(tokens: &[TokenTree]) -> Option<Located<u32>> {
    let [TokenTree::Literal(literal)] = tokens else {
        return None;
    };
    match Lit::new(literal.clone()) {
        Lit::Int(int) if matches!(int.suffix(), "" | "u32") => Some(Located {
            value: int.base10_parse().ok()?,
            range: literal.span().byte_range(),
        }),
        _ => None,
    }
}

/// Reads `None` or `Some(inner)`.
fn option<T>(tokens: &[TokenTree], inner: fn(&[TokenTree]) -> Option<T>) -> Option<Option<T>> {
    match tokens {
        [TokenTree::Ident(none)] if none == "None" => Some(None),
        [TokenTree::Ident(some), TokenTree::Group(group)]
            if some == "Some" && group.delimiter() == Delimiter::Parenthesis =>
        {
            let args: Vec<TokenTree> = group.stream().into_iter().collect();
            inner(&args).map(Some)
        }
        _ => None,
    }
}

/// Reads `&[Trigger::event(..), Trigger::event_if(..), Trigger::cron(..)]`.
fn triggers(tokens: &[TokenTree]) -> Option<Vec<ParsedTrigger>> {
    slice_of(tokens, trigger)
}

/// Reads a slice literal `&[a, b, ..]` (a trailing comma allowed), each element by `element`.
fn slice_of<T>(tokens: &[TokenTree], element: fn(&[TokenTree]) -> Option<T>) -> Option<Vec<T>> {
    let [TokenTree::Punct(and), TokenTree::Group(list)] = tokens else {
        return None;
    };
    if and.as_char() != '&' || list.delimiter() != Delimiter::Bracket {
        return None;
    }

    let elements: Vec<TokenTree> = list.stream().into_iter().collect();
    let mut chunks = split_commas(&elements);
    if chunks.last().is_some_and(|chunk| chunk.is_empty()) {
        chunks.pop();
    }
    chunks.into_iter().map(element).collect()
}

fn trigger(tokens: &[TokenTree]) -> Option<ParsedTrigger> {
    let (function, args) = call_of(tokens, "Trigger")?;
    match (function.as_str(), args.as_slice()) {
        ("event", [event]) => Some(ParsedTrigger::Event {
            event: string(event)?,
            expression: None,
        }),
        ("event_if", [event, expression]) => Some(ParsedTrigger::Event {
            event: string(event)?,
            expression: Some(string(expression)?),
        }),
        ("cron", [cron]) => Some(ParsedTrigger::Cron {
            cron: string(cron)?,
        }),
        _ => None,
    }
}

/// Reads `&[Cancel::event(..), Cancel::event_if(..).timeout(..), ..]`.
fn cancels(tokens: &[TokenTree]) -> Option<Vec<ParsedCancel>> {
    slice_of(tokens, cancel)
}

/// Reads one `Cancel::event(..)` or `Cancel::event_if(..)`, with an optional
/// `.timeout(Duration::..)`.
fn cancel(tokens: &[TokenTree]) -> Option<ParsedCancel> {
    let (base, timeout) = match tokens {
        [base @ .., TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(args)]
            if dot.as_char() == '.'
                && method == "timeout"
                && args.delimiter() == Delimiter::Parenthesis =>
        {
            let args: Vec<TokenTree> = args.stream().into_iter().collect();
            (base, Some(duration(&args)?))
        }
        _ => (tokens, None),
    };

    let (function, args) = call_of(base, "Cancel")?;
    let (event, expression) = match (function.as_str(), args.as_slice()) {
        ("event", [event]) => (string(event)?, None),
        ("event_if", [event, expression]) => (string(event)?, Some(string(expression)?)),
        _ => return None,
    };
    Some(ParsedCancel {
        event,
        expression,
        timeout,
    })
}

/// Reads `Duration::from_secs(n)`, `from_millis`, `from_mins` or `from_hours` as
/// milliseconds.
fn duration(tokens: &[TokenTree]) -> Option<Located<u64>> {
    let (function, args) = call_of(tokens, "Duration")?;
    let [count] = args.as_slice() else {
        return None;
    };
    let [TokenTree::Literal(literal)] = count.as_slice() else {
        return None;
    };
    let count: u64 = match Lit::new(literal.clone()) {
        Lit::Int(int) if matches!(int.suffix(), "" | "u64") => int.base10_parse().ok()?,
        _ => return None,
    };

    let unit: u64 = match function.as_str() {
        "from_millis" => 1,
        "from_secs" => 1_000,
        "from_mins" => 60_000,
        "from_hours" => 3_600_000,
        _ => return None,
    };
    Some(Located {
        value: count.checked_mul(unit)?,
        range: span_range(tokens),
    })
}

/// Whether a type is written `Context<FunctionFailed>`, paths allowed.
fn is_failure_context(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return false;
    };
    let is_failed = |argument: &syn::GenericArgument| match argument {
        syn::GenericArgument::Type(syn::Type::Path(inner)) => inner
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "FunctionFailed"),
        _ => false,
    };
    last.ident == "Context" && arguments.args.len() == 1 && arguments.args.iter().all(is_failed)
}

/// Reads `Concurrency::limit(n)` or `Concurrency::keyed(n, "key")`.
fn concurrency(tokens: &[TokenTree]) -> Option<ParsedConcurrency> {
    let (function, args) = call_of(tokens, "Concurrency")?;
    match (function.as_str(), args.as_slice()) {
        ("limit", [limit]) => Some(ParsedConcurrency {
            limit: integer(limit)?,
            key: None,
        }),
        ("keyed", [limit, key]) => Some(ParsedConcurrency {
            limit: integer(limit)?,
            key: Some(string(key)?),
        }),
        _ => None,
    }
}

/// Splits `<..>::<owner>::<function>(<args>)` into the function name and its arguments.
fn call_of(tokens: &[TokenTree], owner: &str) -> Option<(String, Vec<Vec<TokenTree>>)> {
    let (TokenTree::Group(args), path) = tokens.split_last()? else {
        return None;
    };
    let path = path_of(path)?;
    if args.delimiter() != Delimiter::Parenthesis || path.len() < 2 {
        return None;
    }
    if path[path.len() - 2] != owner {
        return None;
    }

    let trees: Vec<TokenTree> = args.stream().into_iter().collect();
    let mut chunks = split_commas(&trees);
    if chunks.last().is_some_and(|chunk| chunk.is_empty()) {
        chunks.pop();
    }
    let args = chunks.into_iter().map(<[TokenTree]>::to_vec).collect();
    Some((path[path.len() - 1].clone(), args))
}

/// The segments of a plain path such as `::a::b::C`, or `None` for anything else.
fn path_of(tokens: &[TokenTree]) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = tokens;
    if let [TokenTree::Punct(a), TokenTree::Punct(b), tail @ ..] = rest {
        if a.as_char() == ':' && b.as_char() == ':' {
            rest = tail;
        }
    }
    loop {
        let [TokenTree::Ident(ident), tail @ ..] = rest else {
            return None;
        };
        segments.push(ident.to_string());
        match tail {
            [] => return Some(segments),
            [TokenTree::Punct(a), TokenTree::Punct(b), tail @ ..]
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' =>
            {
                rest = tail;
            }
            _ => return None,
        }
    }
}

/// Splits tokens at top-level commas; a trailing comma leaves an empty last chunk.
fn split_commas(tokens: &[TokenTree]) -> Vec<&[TokenTree]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    for (index, token) in tokens.iter().enumerate() {
        if matches!(token, TokenTree::Punct(p) if p.as_char() == ',') {
            chunks.push(&tokens[start..index]);
            start = index + 1;
        }
    }
    chunks.push(&tokens[start..]);
    chunks
}

/// The byte range from the first token's start to the last token's end.
fn span_range(tokens: &[TokenTree]) -> Range<usize> {
    match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) => first.span().byte_range().start..last.span().byte_range().end,
        _ => 0..0,
    }
}

/// Replaces the expression of every `const CONFIG: .. = <expr>;` in an impl block with a
/// placeholder, keeping the expression's tokens by the byte offset of its `CONFIG`. The
/// walk goes into the bodies of impl blocks and modules only.
///
/// An impl body that declares `CONFIG` (that of `impl Function`) keeps only that
/// declaration and `fn on_failure` (its body already blanked): the other items there
/// (`type Event`, the signature of `run`) are not read by codegen, and rustc checks them.
fn take_configs(
    tokens: TokenStream,
    configs: &mut Vec<(usize, Vec<TokenTree>)>,
    body: Body,
) -> TokenStream {
    let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut declarations = Vec::new();
    let mut index = 0;
    while index < trees.len() {
        match config_expression(&trees, index) {
            Some((equals, end)) => {
                declarations.push((index, equals, end));
                index = end + 1;
            }
            None => index += 1,
        }
    }
    let bodies = bodies(&trees);
    // In an impl that declares `CONFIG`, nothing but the declaration and the failure handler
    // is kept.
    let keep_others = body != Body::Impl || declarations.is_empty();
    let kept = if keep_others {
        Vec::new()
    } else {
        failure_handlers(&trees)
    };
    let is_kept = |index: usize| kept.iter().any(|range| range.contains(&index));

    let mut out = Vec::with_capacity(trees.len());
    let mut next = declarations.iter().peekable();
    let mut index = 0;
    while index < trees.len() {
        let declaration = next.peek().filter(|d| d.0 == index && body == Body::Impl);
        if let Some(&&(start, equals, end)) = declaration {
            next.next();
            let at = trees[start + 1].span().byte_range().start;
            let expression: Vec<TokenTree> = trees[equals + 1..end].iter_mut().map(take).collect();
            let span = expression[0].span();
            out.extend(trees[start..=equals].iter_mut().map(take));
            out.push(TokenTree::Ident(Ident::new(PLACEHOLDER, span)));
            out.push(take(&mut trees[end]));
            configs.push((at, expression));
            index = end + 1;
            continue;
        }
        if keep_others || is_kept(index) {
            out.push(match take(&mut trees[index]) {
                TokenTree::Group(group) if bodies[index] != Body::Other => {
                    let stream = take_configs(group.stream(), configs, bodies[index]);
                    let mut inner = Group::new(group.delimiter(), stream);
                    inner.set_span(group.span());
                    TokenTree::Group(inner)
                }
                other => other,
            });
        }
        index += 1;
    }
    out.into_iter().collect()
}

/// The token ranges of every `fn on_failure` item among the items of an impl body: from the
/// end of the previous item (a `;` or a brace group) to the end of its body.
fn failure_handlers(trees: &[TokenTree]) -> Vec<Range<usize>> {
    let is_ident =
        |i: usize, name: &str| matches!(trees.get(i), Some(TokenTree::Ident(x)) if x == name);
    let ends_item = |tree: &TokenTree| match tree {
        TokenTree::Punct(punct) => punct.as_char() == ';',
        TokenTree::Group(group) => group.delimiter() == Delimiter::Brace,
        _ => false,
    };

    let mut ranges = Vec::new();
    for index in 0..trees.len() {
        if !(is_ident(index, "fn") && is_ident(index + 1, ON_FAILURE)) {
            continue;
        }
        let start = trees[..index]
            .iter()
            .rposition(ends_item)
            .map_or(0, |end| end + 1);
        let Some(end) = trees[index..].iter().position(ends_item) else {
            continue;
        };
        ranges.push(start..index + end + 1);
    }
    ranges
}

/// What a brace group is the body of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Impl,
    Module,
    Other,
}

/// For each token, what it is the body of: a brace group is the body of an impl block or a
/// module when `impl` or `mod` is among the tokens since the previous item ended.
fn bodies(trees: &[TokenTree]) -> Vec<Body> {
    let mut seen = Body::Other;
    trees
        .iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) => {
                if ident == "impl" {
                    seen = Body::Impl;
                } else if ident == "mod" && seen == Body::Other {
                    seen = Body::Module;
                }
                Body::Other
            }
            TokenTree::Punct(punct) if punct.as_char() == ';' => {
                seen = Body::Other;
                Body::Other
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                std::mem::replace(&mut seen, Body::Other)
            }
            _ => Body::Other,
        })
        .collect()
}

/// Moves a token out of a list, leaving a cheap stand-in behind.
fn take(tree: &mut TokenTree) -> TokenTree {
    std::mem::replace(tree, TokenTree::Punct(Punct::new('.', Spacing::Alone)))
}

/// For `const CONFIG: T = <expr>;` starting at `index`, the positions of `=` and `;`.
fn config_expression(trees: &[TokenTree], index: usize) -> Option<(usize, usize)> {
    let is_ident =
        |i: usize, name: &str| matches!(trees.get(i), Some(TokenTree::Ident(x)) if x == name);
    let is_punct =
        |i: usize, c: char| matches!(trees.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    if !(is_ident(index, "const") && is_ident(index + 1, "CONFIG") && is_punct(index + 2, ':')) {
        return None;
    }

    let equals = (index + 3..trees.len())
        .take_while(|i| !is_punct(*i, ';'))
        .find(|i| is_punct(*i, '='))?;
    let end = (equals + 1..trees.len()).find(|i| is_punct(*i, ';'))?;
    (end > equals + 1).then_some((equals, end))
}

/// Replaces the body of every `fn` with an empty block, keeping all spans; the fallback for
/// files the scanner of [`crate::scan`] was unsure about.
fn without_fn_bodies(tokens: TokenStream) -> TokenStream {
    let mut after_fn = false;
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Ident(ident) => {
                after_fn |= ident == "fn";
                TokenTree::Ident(ident)
            }
            TokenTree::Punct(punct) => {
                // A `fn` pointer type or a declaration without a body ends at `;`.
                after_fn &= punct.as_char() != ';';
                TokenTree::Punct(punct)
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                let stream = if after_fn {
                    TokenStream::new()
                } else {
                    without_fn_bodies(group.stream())
                };
                after_fn = false;
                let mut replaced = Group::new(Delimiter::Brace, stream);
                replaced.set_span(group.span());
                TokenTree::Group(replaced)
            }
            other => other,
        })
        .collect()
}

/// A message for a lexing error, from the character where lexing stopped.
fn lex_message(text: &str, at: usize) -> String {
    match text.get(at..).and_then(|rest| rest.chars().next()) {
        Some(open @ ('{' | '(' | '[')) => format!("unclosed delimiter `{open}`"),
        Some(close @ ('}' | ')' | ']')) => format!("unexpected closing delimiter `{close}`"),
        Some('"') => "unterminated string literal".to_owned(),
        Some('\'') => "unterminated character literal".to_owned(),
        Some('/') => "unterminated block comment".to_owned(),
        Some(c) if c.is_ascii_digit() => "invalid number literal".to_owned(),
        _ => "invalid token".to_owned(),
    }
}

/// What each `Config` field must look like, for messages.
fn expected_form(field: &str) -> &'static str {
    match field {
        "id" | "name" => "a string literal",
        "triggers" => {
            "`&[..]` of `Trigger::event(\"..\")`, `Trigger::event_if(\"..\", \"..\")` or \
             `Trigger::cron(\"..\")` with string literals"
        }
        "retries" => "`None` or `Some(n)` with an integer literal",
        "concurrency" => {
            "`None`, `Some(Concurrency::limit(n))` or `Some(Concurrency::keyed(n, \"..\"))` \
             with literals"
        }
        "cancel_on" => {
            "`&[..]` of `Cancel::event(\"..\")` or `Cancel::event_if(\"..\", \"..\")` with \
             string literals, each optionally followed by `.timeout(Duration::from_secs(n))` \
             (or `from_millis`, `from_mins`, `from_hours`) with an integer literal"
        }
        _ => "a literal",
    }
}

/// Collects `impl Function for ..` items, separating those inside inline modules.
fn collect_impls<'a>(
    items: &'a [Item],
    top: &mut Vec<&'a ItemImpl>,
    nested: &mut Vec<&'a ItemImpl>,
    inside_module: bool,
) {
    for item in items {
        match item {
            Item::Impl(item) if implements_function(item) => {
                if inside_module {
                    nested.push(item);
                } else {
                    top.push(item);
                }
            }
            Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    collect_impls(items, top, nested, true);
                }
            }
            _ => {}
        }
    }
}

fn implements_function(item: &ItemImpl) -> bool {
    item.trait_.as_ref().is_some_and(|(_, path, _)| {
        path.segments
            .last()
            .is_some_and(|segment| segment.ident == "Function")
    })
}

/// The span of an impl's header, `impl Function for T`, rather than its whole body.
fn header_span(item: &ItemImpl) -> Span {
    let end = item.self_ty.span();
    item.impl_token.span.join(end).unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
use switchyard_runtime::prelude::*;

pub struct Welcome;

impl Function for Welcome {
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "welcome",
        name: "Send the welcome email",
        triggers: &[
            Trigger::event("auth/user.signed-up"),
            Trigger::event_if("auth/user.invited", "event.data.admin"),
            Trigger::cron("TZ=Europe/Paris 0 9 * * *"),
        ],
        retries: Some(3),
        concurrency: Some(Concurrency::keyed(2, "event.data.user_id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Value>) -> Result<Value> {
        Ok(ctx.event.data)
    }
}
"#;

    fn problems(text: &str) -> Vec<Problem> {
        parse(text)
            .1
            .into_iter()
            .map(|found| found.problem)
            .collect()
    }

    fn event_file(config: &str) -> String {
        format!("pub struct F;\nimpl Function for F {{\n    const CONFIG: Config = {config};\n}}\n")
    }

    #[test]
    fn reads_every_field_of_a_well_formed_file() {
        let (parsed, found) = parse(GOOD);

        let parsed = parsed.unwrap();
        assert_eq!(found, []);
        assert_eq!(parsed.type_name, "Welcome");
        assert_eq!(parsed.id.as_ref().unwrap().value, "welcome");
        assert_eq!(&GOOD[parsed.id.unwrap().range], "\"welcome\"");
        assert_eq!(parsed.name.unwrap().value, "Send the welcome email");
        assert_eq!(parsed.triggers.unwrap().value.len(), 3);
        assert_eq!(parsed.retries.unwrap().value, 3);
        let concurrency = parsed.concurrency.unwrap();
        assert_eq!(concurrency.limit.value, 2);
        assert_eq!(concurrency.key.unwrap().value, "event.data.user_id");
    }

    #[test]
    fn locates_problems_after_a_byte_order_mark_and_shebang() {
        let text = format!(
            "\u{feff}#!/usr/bin/env run\n{}",
            event_file("Config { id: X }")
        );

        let (_, found) = parse(&text);

        assert_eq!(&text[found[0].range.clone()], "X");
    }

    #[test]
    fn rejects_files_not_in_the_expected_form() {
        let two = format!(
            "{}\npub struct G;\nimpl Function for G {{}}\n",
            event_file("C")
        );
        let cases = [
            ("fn main( {", "syntax error: unclosed delimiter"),
            ("fn main() { let s = \"x; }", "syntax error: unterminated string literal"),
            ("fn main() { ) }", "syntax error: unexpected closing delimiter `)`"),
            ("pub struct F { a: u8 b: u8 }", "syntax error: expected `,`"),
            ("pub struct F; impl Function for F { const CONFIG: Config = Config { id: }; }", "syntax error"),
            ("pub struct F;", "no function"),
            (two.as_str(), "2 functions"),
            ("mod m { pub struct F; impl Function for F {} }", "top level"),
            ("struct F; impl Function for F { const CONFIG: Config = Config {}; }", "pub struct F;"),
            ("pub struct F(u8); impl Function for F { const CONFIG: Config = Config { id: \"x\", triggers: &[] }; }", "pub struct F;"),
            ("pub struct F; impl Function for Vec<F> { const CONFIG: Config = C; }", "unit struct"),
            ("pub struct F; impl Function for F {}", "no `const CONFIG: Config`"),
            (&event_file("DEFAULT_CONFIG"), "`Config { .. }` literal"),
            (&event_file("Other { id: \"x\" }"), "`Config { .. }` literal"),
        ];

        for (text, expected) in cases {
            let messages: Vec<String> = problems(text).iter().map(|p| p.to_string()).collect();
            assert!(
                messages.iter().any(|m| m.contains(expected)),
                "{text}: {messages:?}"
            );
        }
    }

    #[test]
    fn rejects_fields_that_are_not_literals() {
        let cases = [
            ("Config { id: ID }", "field `id` must be a string literal"),
            (
                "Config { id: concat!(\"a\") }",
                "field `id` must be a string literal",
            ),
            (
                "Config { name: 7 }",
                "field `name` must be a string literal",
            ),
            (
                "Config { triggers: TRIGGERS }",
                "field `triggers` must be `&[..]`",
            ),
            (
                "Config { triggers: &[Trigger::event(NAME)] }",
                "field `triggers`",
            ),
            ("Config { triggers: &[event(\"a\")] }", "field `triggers`"),
            (
                "Config { triggers: &[Trigger::Cron { cron: \"x\" }] }",
                "field `triggers`",
            ),
            (
                "Config { retries: 3 }",
                "field `retries` must be `None` or `Some(n)`",
            ),
            ("Config { retries: Some(1 + 2) }", "field `retries`"),
            ("Config { retries: Some(-1) }", "field `retries`"),
            ("Config { retries: Some(3u8) }", "field `retries`"),
            ("Config { concurrency: Some(5) }", "field `concurrency`"),
            (
                "Config { concurrency: Some(Concurrency::keyed(5, KEY)) }",
                "field `concurrency`",
            ),
            (
                "Config { timeout: None }",
                "unknown `Config` field `timeout`",
            ),
            (
                "Config { cancel_on: CANCELS }",
                "field `cancel_on` must be `&[..]`",
            ),
            (
                "Config { cancel_on: &[Cancel::event(NAME)] }",
                "field `cancel_on`",
            ),
            (
                "Config { cancel_on: &[Cancel::event(\"a/b\").timeout(DAY)] }",
                "field `cancel_on`",
            ),
            (
                "Config { cancel_on: &[Cancel::event(\"a/b\").timeout(Duration::from_days(1))] }",
                "field `cancel_on`",
            ),
            (
                "Config { cancel_on: &[Cancel::event(\"a/b\").within(Duration::from_secs(1))] }",
                "field `cancel_on`",
            ),
            ("Config { id: \"a\", id: \"b\" }", "field `id` is set twice"),
            ("Config { id: \"a\", ..OTHER }", "only `..Config::DEFAULT`"),
        ];

        for (config, expected) in cases {
            let messages: Vec<String> = problems(&event_file(config))
                .iter()
                .map(|p| p.to_string())
                .collect();
            assert!(
                messages.len() == 1 && messages[0].contains(expected),
                "{config}: {messages:?}"
            );
        }
    }

    #[test]
    fn skips_function_bodies_but_not_the_items_around_them() {
        let text = format!(
            "{}\nfn helper() -> u8 {{ let x = ; }}\ntype H = fn(u8);\nconst K: u8 = {{ 1 }};",
            GOOD
        );

        let (parsed, found) = parse(&text);

        assert_eq!(found, []);
        assert_eq!(parsed.unwrap().id.unwrap().value, "welcome");
    }

    #[test]
    fn reads_the_config_of_the_impl_whatever_else_is_named_config() {
        let text = format!("const CONFIG: u8 = 1;\nmod m {{ const CONFIG: u8 = 2; }}\n{GOOD}");

        let (parsed, found) = parse(&text);

        assert_eq!(found, []);
        assert_eq!(parsed.unwrap().id.unwrap().value, "welcome");
    }

    #[test]
    fn reports_every_bad_field_of_one_file() {
        let config = "Config { id: ID, name: NAME, retries: R, colour: None, ..Config::DEFAULT }";

        let found = problems(&event_file(config));

        assert_eq!(found.len(), 4, "{found:?}");
    }

    /// An event file whose impl holds `extra` after its `CONFIG`.
    fn with_impl_items(extra: &str) -> String {
        format!(
            "pub struct F;\nimpl Function for F {{\n    const CONFIG: Config = Config {{ id: \"f\" }};\n{extra}\n}}\n"
        )
    }

    #[test]
    fn reads_cancellations_with_their_timeouts() {
        let text = event_file(
            "Config { id: \"f\", cancel_on: &[
                Cancel::event(\"a/stopped\"),
                Cancel::event_if(\"a/cancelled\", \"async.data.id == event.data.id\")
                    .timeout(Duration::from_hours(2)),
                Cancel::event(\"a/gone\").timeout(std::time::Duration::from_millis(1500)),
            ] }",
        );

        let (parsed, found) = parse(&text);

        assert_eq!(found, []);
        let cancels = parsed.unwrap().cancel_on.unwrap().value;
        let read: Vec<(&str, Option<&str>, Option<u64>)> = cancels
            .iter()
            .map(|c| {
                let expression = c.expression.as_ref().map(|e| e.value.as_str());
                (
                    c.event.value.as_str(),
                    expression,
                    c.timeout.as_ref().map(|t| t.value),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                ("a/stopped", None, None),
                (
                    "a/cancelled",
                    Some("async.data.id == event.data.id"),
                    Some(7_200_000)
                ),
                ("a/gone", None, Some(1_500)),
            ]
        );
    }

    #[test]
    fn finds_the_failure_handler_in_the_impl() {
        let text = with_impl_items(
            "    /// Says sorry.\n    #[allow(unused)]\n    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {\n        let x = ; \n    }",
        );

        let (parsed, found) = parse(&text);

        assert_eq!(found, []);
        let range = parsed.unwrap().on_failure.unwrap();
        assert_eq!(&text[range], "on_failure");
        assert_eq!(parse(GOOD).0.unwrap().on_failure, None);
    }

    #[test]
    fn rejects_failure_handlers_of_the_wrong_shape() {
        let cases = [
            (
                "async fn on_failure() -> Result<Value> {}",
                "it must take one argument",
            ),
            (
                "async fn on_failure(&self, ctx: Context<FunctionFailed>) -> Result<Value> {}",
                "it must take one argument",
            ),
            (
                "async fn on_failure(ctx: Context<Value>) -> Result<Value> {}",
                "its argument must be a `Context<FunctionFailed>`",
            ),
            (
                "async fn on_failure(ctx: FunctionFailed) -> Result<Value> {}",
                "its argument must be a `Context<FunctionFailed>`",
            ),
            (
                "async fn on_failure<T>(ctx: Context<FunctionFailed>) -> Result<Value> {}",
                "it must not be generic",
            ),
            (
                "async fn on_failure(ctx: Context<FunctionFailed>) {}",
                "it must return `Result<Value>`",
            ),
        ];

        for (function, expected) in cases {
            let text = with_impl_items(function);

            let (parsed, found) = parse(&text);

            let messages: Vec<String> = found.iter().map(|f| f.problem.to_string()).collect();
            assert!(
                messages.len() == 1 && messages[0].contains(expected),
                "{function}: {messages:?}"
            );
            assert!(parsed.unwrap().on_failure.is_some(), "{function}");
        }
    }

    #[test]
    fn rejects_a_failure_handler_outside_the_function_impl() {
        let text = format!(
            "{}impl F {{\n    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {{}}\n}}\n",
            event_file("Config { id: \"f\" }")
        );

        let (parsed, found) = parse(&text);

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].problem.to_string().contains("`impl F`"));
        assert_eq!(&text[found[0].range.clone()], "on_failure");
        assert_eq!(parsed.unwrap().on_failure, None);
    }
}
