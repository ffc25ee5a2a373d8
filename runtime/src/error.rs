//! The error a function or step returns, and how Inngest should treat it.

use std::fmt;
use std::time::Duration;

/// Result type of function handlers and step bodies.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the caller should react to an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Try again, up to the function's retries (the default for any error).
    Retriable,
    /// Give up now: retrying cannot help.
    NonRetriable,
    /// Try again, but not before this much time has passed.
    RetryAfter(Duration),
}

/// An error raised by a function or one of its steps.
///
/// Any `std::error::Error` converts into a retriable one with `?`; use
/// [`Error::non_retriable`] or [`Error::retry_after`] to say otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    name: String,
    message: String,
}

impl Error {
    /// A retriable error with this message.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Retriable,
            name: "Error".to_owned(),
            message: message.into(),
        }
    }

    /// An error that must not be retried, as Inngest's `NonRetriableError`.
    pub fn non_retriable(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::NonRetriable,
            name: "NonRetriableError".to_owned(),
            message: message.into(),
        }
    }

    /// A retriable error that asks for a delay before the next attempt.
    pub fn retry_after(message: impl Into<String>, delay: Duration) -> Error {
        Error {
            kind: ErrorKind::RetryAfter(delay),
            name: "RetryAfterError".to_owned(),
            message: message.into(),
        }
    }

    /// Replaces the error's name, which callers see as the error class.
    pub fn with_name(mut self, name: impl Into<String>) -> Error {
        self.name = name.into();
        self
    }

    /// How the caller should react.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error class shown to callers, such as `Error` or `NonRetriableError`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether another attempt may succeed.
    pub fn is_retriable(&self) -> bool {
        self.kind != ErrorKind::NonRetriable
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Error {
        Error::new(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_std_errors_into_retriable_ones() {
        let io = std::io::Error::other("disk full");

        let error = Error::from(io);

        assert_eq!(error.kind(), ErrorKind::Retriable);
        assert_eq!(error.to_string(), "Error: disk full");
    }

    #[test]
    fn marks_non_retriable_and_delayed_errors() {
        let stop = Error::non_retriable("card declined");
        let later = Error::retry_after("rate limited", Duration::from_secs(30));

        assert!(!stop.is_retriable());
        assert_eq!(stop.name(), "NonRetriableError");
        assert_eq!(later.kind(), ErrorKind::RetryAfter(Duration::from_secs(30)));
        assert!(later.is_retriable());
    }
}
