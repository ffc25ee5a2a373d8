//! Walking the features root: every file and folder, symlinks followed once.
//!
//! The walk first visits the real folders under the root, then follows the symlinks it met,
//! in the order met, and then the symlinks found behind those. A folder is visited at most
//! once, by its canonical path, and a link to a folder that contains the root is skipped, so
//! a cycle ends the walk of that branch instead of looping. A file reached more than once
//! keeps the path that went through the fewest links, then the first in sorted order.

use std::collections::{HashSet, VecDeque};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Problem};

/// One file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Root-relative path with `/` separators, as reached.
    pub(crate) relative: String,
    /// Canonical path, or the path as reached for a dangling link.
    pub(crate) real: PathBuf,
    /// How many symlinks the path goes through.
    pub(crate) links: usize,
}

/// Everything the walk found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Every file that is not hidden, once per canonical path, sorted by relative path.
    pub(crate) files: Vec<Found>,
    /// Canonical path of every folder visited, sorted by their bytes.
    pub(crate) dirs: Vec<PathBuf>,
    /// Unreadable folders and names that are not UTF-8.
    pub(crate) problems: Vec<Diagnostic>,
}

/// Walks `root/base`, where `base` is a `/`-separated relative path (empty for `root`).
pub(crate) fn walk(root: &Path, base: &str) -> Walk {
    let start = if base.is_empty() {
        root.to_path_buf()
    } else {
        root.join(base)
    };
    let mut walker = Walker::default();

    let canonical = match fs::canonicalize(&start) {
        Ok(canonical) => canonical,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Walk::default(),
        Err(error) => {
            walker.unreadable(base, &error);
            return walker.finish();
        }
    };
    let links = usize::from(is_symlink(&start));
    walker.root = canonical.clone();
    walker.tree(base.to_owned(), canonical, links);

    while let Some(link) = walker.links.pop_front() {
        walker.follow(link);
    }
    walker.finish()
}

#[derive(Default)]
struct Walker {
    /// Canonical path of the folder the walk started from.
    root: PathBuf,
    visited: HashSet<PathBuf>,
    dirs: Vec<PathBuf>,
    files: Vec<Found>,
    links: VecDeque<Found>,
    problems: Vec<Diagnostic>,
}

impl Walker {
    /// Visits the real folders under `dir`, queueing the symlinks met.
    fn tree(&mut self, relative: String, dir: PathBuf, links: usize) {
        let mut stack = vec![(relative, dir)];
        while let Some((relative, dir)) = stack.pop() {
            if !self.visited.insert(dir.clone()) {
                continue;
            }
            self.dirs.push(dir.clone());

            let entries = match read_sorted(&dir) {
                Ok(entries) => entries,
                Err(error) => {
                    self.unreadable(&relative, &error);
                    continue;
                }
            };
            for (name, file_type) in entries {
                let Some(child) = self.child(&relative, &name, file_type) else {
                    continue;
                };
                let path = dir.join(&name);
                if file_type.is_symlink() {
                    self.links.push_back(Found {
                        relative: child,
                        real: path,
                        links: links + 1,
                    });
                } else if file_type.is_dir() {
                    stack.push((child, path));
                } else {
                    self.files.push(Found {
                        relative: child,
                        real: path,
                        links,
                    });
                }
            }
        }
    }

    /// Resolves one symlink: a folder not yet visited is walked, a file is kept.
    fn follow(&mut self, link: Found) {
        let Ok(target) = fs::canonicalize(&link.real) else {
            // A dangling link is kept as a file; reading it reports the problem if it matters.
            self.files.push(link);
            return;
        };
        let Ok(metadata) = fs::metadata(&target) else {
            self.files.push(link);
            return;
        };

        if metadata.is_dir() {
            let is_cycle = self.root.starts_with(&target);
            if !is_cycle && !self.visited.contains(&target) {
                self.tree(link.relative, target, link.links);
            }
        } else {
            self.files.push(Found {
                real: target,
                ..link
            });
        }
    }

    /// The relative path of a child entry, or `None` when it is hidden or unusable.
    fn child(
        &mut self,
        relative: &str,
        name: &std::ffi::OsStr,
        kind: fs::FileType,
    ) -> Option<String> {
        if name.as_encoded_bytes().first() == Some(&b'.') {
            return None;
        }
        let Some(name_text) = name.to_str() else {
            let bytes = name.as_encoded_bytes();
            let may_matter = !kind.is_file() || bytes.to_ascii_lowercase().ends_with(b".rs");
            if may_matter {
                let escaped = format!("{name:?}");
                let path = join(relative, escaped.trim_matches('"'));
                self.problems
                    .push(Diagnostic::file(Problem::NonUtf8Name, &path));
            }
            return None;
        };
        Some(join(relative, name_text))
    }

    fn unreadable(&mut self, relative: &str, error: &io::Error) {
        let path = if relative.is_empty() { "." } else { relative };
        let problem = Problem::Unreadable {
            reason: error.to_string(),
        };
        self.problems.push(Diagnostic::file(problem, path));
    }

    fn finish(mut self) -> Walk {
        // Without links every real path is reached once; with them, keep for each real path
        // the way with the fewest links, then the first in order.
        if self.files.iter().any(|file| file.links > 0) {
            self.files.sort_by(|a, b| {
                let real = a.real.as_os_str().cmp(b.real.as_os_str());
                real.then(a.links.cmp(&b.links))
                    .then_with(|| a.relative.cmp(&b.relative))
            });
            self.files.dedup_by(|later, first| later.real == first.real);
        }
        self.files.sort_by(|a, b| a.relative.cmp(&b.relative));
        self.dirs.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));

        Walk {
            files: self.files,
            dirs: self.dirs,
            problems: self.problems,
        }
    }
}

fn read_sorted(dir: &Path) -> io::Result<Vec<(std::ffi::OsString, fs::FileType)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name(), entry.file_type()?));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

fn join(relative: &str, name: &str) -> String {
    if relative.is_empty() {
        name.to_owned()
    } else {
        format!("{relative}/{name}")
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
