//! Reading a function's configuration out of an event file's source.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprStruct, ImplItem, Item, Lit, Member};

use crate::model::{Concurrency, Trigger};

/// A problem in one event file, located by 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl Problem {
    fn at(span: Span, message: impl Into<String>) -> Problem {
        let start = span.start();
        Problem {
            line: start.line,
            column: start.column + 1,
            message: message.into(),
        }
    }
}

/// The configuration found in one event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) type_name: String,
    pub(crate) id: String,
    pub(crate) id_line: usize,
    pub(crate) name: String,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) retries: Option<u32>,
    pub(crate) concurrency: Option<Concurrency>,
}

/// Parses `source` and reads the one `impl Function for T` it must contain.
pub(crate) fn parse(source: &str) -> Result<Parsed, Vec<Problem>> {
    let file = syn::parse_file(source)
        .map_err(|error| vec![Problem::at(error.span(), error.to_string())])?;

    let impls: Vec<&syn::ItemImpl> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(item) if implements_function(item) => Some(item),
            _ => None,
        })
        .collect();
    let item = match impls.as_slice() {
        [one] => *one,
        [] => {
            return Err(vec![Problem {
                line: 1,
                column: 1,
                message: "event file defines no function: expected one `impl Function for T`"
                    .into(),
            }])
        }
        [_, second, ..] => {
            return Err(vec![Problem::at(
                second.span(),
                format!(
                    "event file defines {} functions; it must define exactly one",
                    impls.len()
                ),
            )])
        }
    };

    let type_name = match &*item.self_ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => {
            return Err(vec![Problem::at(
                other.span(),
                "`Function` must be implemented for a named type",
            )])
        }
    };
    let config = item
        .items
        .iter()
        .find_map(|item| match item {
            ImplItem::Const(constant) if constant.ident == "CONFIG" => Some(constant),
            _ => None,
        })
        .ok_or_else(|| {
            vec![Problem::at(
                item.span(),
                "`impl Function` has no `const CONFIG: Config`",
            )]
        })?;
    let Expr::Struct(fields) = &config.expr else {
        return Err(vec![Problem::at(
            config.expr.span(),
            "`CONFIG` must be a `Config { .. }` literal",
        )]);
    };

    read_config(type_name, fields)
}

fn implements_function(item: &syn::ItemImpl) -> bool {
    item.trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|segment| segment.ident == "Function")
}

fn read_config(type_name: String, config: &ExprStruct) -> Result<Parsed, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parsed = Parsed {
        type_name,
        id: String::new(),
        id_line: config.span().start().line,
        name: String::new(),
        triggers: Vec::new(),
        retries: None,
        concurrency: None,
    };
    let mut has_id = false;

    for field in &config.fields {
        let Member::Named(name) = &field.member else {
            problems.push(Problem::at(
                field.span(),
                "unexpected unnamed field in `Config`",
            ));
            continue;
        };
        let result = match name.to_string().as_str() {
            "id" => string(&field.expr).map(|id| {
                has_id = true;
                parsed.id_line = field.expr.span().start().line;
                parsed.id = id;
            }),
            "name" => string(&field.expr).map(|name| parsed.name = name),
            "triggers" => triggers(&field.expr).map(|triggers| parsed.triggers = triggers),
            "retries" => option(&field.expr, integer).map(|retries| parsed.retries = retries),
            "concurrency" => {
                option(&field.expr, concurrency).map(|limit| parsed.concurrency = limit)
            }
            other => Err(Problem::at(
                field.member.span(),
                format!("unknown `Config` field `{other}`"),
            )),
        };
        if let Err(problem) = result {
            problems.push(problem);
        }
    }
    if !has_id {
        problems.push(Problem::at(config.span(), "`Config` has no `id`"));
    }

    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

fn string(expr: &Expr) -> Result<String, Problem> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(text) => Ok(text.value()),
            other => Err(Problem::at(other.span(), "expected a string literal")),
        },
        Expr::Group(group) => string(&group.expr),
        other => Err(Problem::at(
            other.span(),
            "expected a string literal, which codegen can read at build time",
        )),
    }
}

fn integer(expr: &Expr) -> Result<u32, Problem> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) => int
            .base10_parse()
            .map_err(|error| Problem::at(int.span(), format!("expected a small integer: {error}"))),
        other => Err(Problem::at(other.span(), "expected an integer literal")),
    }
}

fn option<T>(expr: &Expr, inner: fn(&Expr) -> Result<T, Problem>) -> Result<Option<T>, Problem> {
    match expr {
        Expr::Path(path) if path.path.is_ident("None") => Ok(None),
        Expr::Call(call) if is_call_to(call, &["Some"]) && call.args.len() == 1 => {
            inner(&call.args[0]).map(Some)
        }
        other => Err(Problem::at(other.span(), "expected `Some(..)` or `None`")),
    }
}

fn triggers(expr: &Expr) -> Result<Vec<Trigger>, Problem> {
    let Expr::Reference(reference) = expr else {
        return Err(Problem::at(expr.span(), "expected `&[Trigger::..]`"));
    };
    let Expr::Array(array) = &*reference.expr else {
        return Err(Problem::at(expr.span(), "expected `&[Trigger::..]`"));
    };
    array.elems.iter().map(trigger).collect()
}

fn trigger(expr: &Expr) -> Result<Trigger, Problem> {
    let Expr::Call(call) = expr else {
        return Err(Problem::at(
            expr.span(),
            "expected `Trigger::event(..)`, `Trigger::event_if(..)` or `Trigger::cron(..)`",
        ));
    };
    let args: Vec<&Expr> = call.args.iter().collect();
    match (callee(call).as_deref(), args.as_slice()) {
        (Some("event"), [name]) => Ok(Trigger::Event {
            event: string(name)?,
            expression: None,
        }),
        (Some("event_if"), [name, expression]) => Ok(Trigger::Event {
            event: string(name)?,
            expression: Some(string(expression)?),
        }),
        (Some("cron"), [schedule]) => Ok(Trigger::Cron {
            cron: string(schedule)?,
        }),
        _ => Err(Problem::at(
            call.span(),
            "expected `Trigger::event(..)`, `Trigger::event_if(..)` or `Trigger::cron(..)`",
        )),
    }
}

fn concurrency(expr: &Expr) -> Result<Concurrency, Problem> {
    let Expr::Call(call) = expr else {
        return Err(Problem::at(
            expr.span(),
            "expected `Concurrency::limit(..)` or `Concurrency::keyed(..)`",
        ));
    };
    let args: Vec<&Expr> = call.args.iter().collect();
    match (callee(call).as_deref(), args.as_slice()) {
        (Some("limit"), [limit]) => Ok(Concurrency {
            limit: integer(limit)?,
            key: None,
        }),
        (Some("keyed"), [limit, key]) => Ok(Concurrency {
            limit: integer(limit)?,
            key: Some(string(key)?),
        }),
        _ => Err(Problem::at(
            call.span(),
            "expected `Concurrency::limit(..)` or `Concurrency::keyed(..)`",
        )),
    }
}

fn callee(call: &ExprCall) -> Option<String> {
    match &*call.func {
        Expr::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string()),
        _ => None,
    }
}

fn is_call_to(call: &ExprCall, names: &[&str]) -> bool {
    callee(call).is_some_and(|name| names.contains(&name.as_str()))
}
