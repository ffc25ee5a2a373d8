//! `include_out_dir!`: includes a file generated in `OUT_DIR`, with its `#[path]` module
//! declarations resolved from the folder of the file that invokes the macro.
//!
//! `include!` resolves a `#[path]` written in the included file from the included file's own
//! folder, `OUT_DIR`, so a generated file would have to name its sources by absolute paths or
//! by paths that depend on where the target folder is. The usual way around that, a
//! `macro_rules!` defined in the generated file and invoked by the includer, costs rebuild
//! time: the macro's definition changes whenever a module is added, and rustc then treats
//! every item of every module as changed. This macro is defined in a crate that does not
//! change, so adding one module leaves the others untouched for incremental compilation.
//!
//! ```text
//! // src/registry.rs, with `all_functions.rs` declaring `#[path = "../features/..."] mod ...;`
//! switchyard_include::include_out_dir!("all_functions.rs");
//! ```
//!
//! The file is still read by `include_bytes!` as well, so Cargo and rustc see it as an input
//! of the crate.

use std::path::PathBuf;
use std::str::FromStr;

use proc_macro::{Delimiter, Group, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Expands to the items of `$OUT_DIR/<file name>`, resolving their `#[path]` attributes from
/// the folder of the invoking file.
///
/// Takes one string literal, the file's name relative to `OUT_DIR`. A missing `OUT_DIR`, an
/// unreadable file or one that is not valid Rust tokens is a compile error naming it.
#[proc_macro]
pub fn include_out_dir(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(message) => compile_error(&message),
    }
}

/// Reads and tokenizes the named file, followed by its `include_bytes!` tracking item.
fn expand(input: TokenStream) -> Result<TokenStream, String> {
    let name = file_name(input)?;
    let out_dir = std::env::var_os("OUT_DIR")
        .ok_or("`OUT_DIR` is not set: include_out_dir! needs a package with a build script")?;
    let path = PathBuf::from(out_dir).join(&name);
    let display = path.display();
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read generated file `{display}`: {error}"))?;
    let mut tokens = TokenStream::from_str(&text)
        .map_err(|error| format!("generated file `{display}` is not valid Rust: {error}"))?;

    let path_text = path
        .to_str()
        .ok_or_else(|| format!("generated file path `{display}` is not valid UTF-8"))?;
    tokens.extend(tracking_item(path_text));
    Ok(tokens)
}

/// The single string literal the macro takes, without its quotes.
fn file_name(input: TokenStream) -> Result<String, String> {
    let usage = "expected one string literal: include_out_dir!(\"file.rs\")";
    let mut trees = input.into_iter();
    let (Some(TokenTree::Literal(literal)), None) = (trees.next(), trees.next()) else {
        return Err(usage.to_owned());
    };
    let text = literal.to_string();
    let name = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|name| !name.is_empty() && !name.contains(['\\', '"']))
        .ok_or(usage)?;
    Ok(name.to_owned())
}

/// `const _: &[u8] = include_bytes!("<path>");`, which makes the file an input of the crate.
fn tracking_item(path: &str) -> TokenStream {
    let source = format!(
        "const _: &[u8] = include_bytes!({});",
        Literal::string(path)
    );
    TokenStream::from_str(&source).expect("a const item with a string literal tokenizes")
}

/// `compile_error!("<message>");` at the invocation.
fn compile_error(message: &str) -> TokenStream {
    let span = Span::call_site();
    let mut literal = Literal::string(message);
    literal.set_span(span);
    let arguments = Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(literal)),
    );
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(span);
    let mut semi = Punct::new(';', Spacing::Alone);
    semi.set_span(span);
    [
        TokenTree::Ident(proc_macro::Ident::new("compile_error", span)),
        TokenTree::Punct(bang),
        TokenTree::Group(arguments),
        TokenTree::Punct(semi),
    ]
    .into_iter()
    .collect()
}
