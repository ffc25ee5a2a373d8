//! Project trees built at test time in a temporary folder.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// A temporary project root; removed when dropped.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    /// An empty project root.
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("a temporary folder can be created"),
        }
    }

    /// An empty project root inside `parent`, named `name`.
    pub fn in_folder(parent: &Path, name: &str) -> Tree {
        fs::create_dir_all(parent).expect("the parent folder can be created");
        let dir = tempfile::Builder::new()
            .prefix(name)
            .tempdir_in(parent)
            .expect("a temporary folder can be created");
        Tree { dir }
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The absolute path of `relative`.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    /// Writes `contents` to `relative`, creating its folders.
    pub fn file(&self, relative: &str, contents: &str) -> &Tree {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().expect("a file has a folder"))
            .expect("the folder can be created");
        fs::write(&path, contents).expect("the file can be written");
        self
    }

    /// Writes a valid event file declaring `id`, triggered by `event`.
    pub fn event(&self, relative: &str, id: &str, event: &str) -> &Tree {
        self.file(relative, &event_file(id, event))
    }

    /// Creates the folder `relative` and its parents.
    pub fn folder(&self, relative: &str) -> &Tree {
        fs::create_dir_all(self.path(relative)).expect("the folder can be created");
        self
    }
}

/// A valid event file declaring `id`, triggered by `event`.
pub fn event_file(id: &str, event: &str) -> String {
    format!(
        r#"//! Handles `{event}`.

use switchyard_runtime::prelude::*;

pub struct Handler;

impl Function for Handler {{
    type Event = Value;
    type Output = Value;

    const CONFIG: Config = Config {{
        id: "{id}",
        triggers: &[Trigger::event("{event}")],
        ..Config::DEFAULT
    }};

    async fn run(ctx: Context<Value>) -> Result<Value> {{
        Ok(ctx.event.data)
    }}
}}
"#
    )
}
