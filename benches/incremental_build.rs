//! How long `cargo build` takes after adding one event file to an app of 500 functions.
//!
//! The same app is generated twice under `<target>/incremental-bench/`: once with its
//! functions discovered by codegen from a build script, once as a hand-maintained list
//! (`#[path]` module declarations and a static array, no build script). Each app is built
//! once; then, for every repetition and in alternating order, one new event file is added to
//! each (and, for the hand list, its lines in the list) and `cargo build` is timed, by wall
//! clock and, where `/proc` tells, by the CPU time of Cargo and all it ran. Each timed build is
//! checked by running the app and counting its functions.
//!
//! ```text
//! cargo bench --bench incremental_build [-- --functions 500 --reps 5]
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How many features the functions are spread over.
const FEATURES: usize = 10;

/// An event file; `NUMBER` becomes the function's number.
const EVENT_TEMPLATE: &str = r#"//! Greets the user named in the event, through one step.

use switchyard_runtime::prelude::*;

/// The data of the triggering event.
#[derive(Debug, Deserialize)]
pub struct Greeting {
    pub name: String,
}

pub struct FunctionNUMBER;

impl Function for FunctionNUMBER {
    type Event = Greeting;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "function-NUMBER",
        name: "Function NUMBER",
        triggers: &[Trigger::event("bench/greeting.NUMBER")],
        retries: Some(2),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Greeting>) -> Result<Value> {
        let name = ctx.event.data.name.clone();
        let text = ctx
            .step
            .run("greet", || async move { Ok(format!("hello {name} from NUMBER")) })
            .await?;
        Ok(json!({ "text": text }))
    }
}
"#;

/// How the app finds its functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Codegen discovers the event files from `build.rs`.
    Discovered,
    /// `src/functions.rs` lists every event file by hand.
    HandList,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Discovered => "discovered (codegen)",
            Variant::HandList => "hand-maintained list",
        }
    }

    fn package(self) -> &'static str {
        match self {
            Variant::Discovered => "bench-discovered",
            Variant::HandList => "bench-hand-list",
        }
    }
}

/// One generated app and the numbers of the functions it holds.
struct App {
    variant: Variant,
    root: PathBuf,
    target: PathBuf,
    numbers: Vec<usize>,
}

impl App {
    /// Writes a fresh app with functions `0..functions` under `dir`.
    fn generate(variant: Variant, dir: &Path, target: &Path, functions: usize) -> App {
        let root = dir.join(variant.package());
        if root.exists() {
            fs::remove_dir_all(&root).expect("the previous app can be removed");
        }
        let app = App {
            variant,
            root,
            target: target.to_path_buf(),
            numbers: (0..functions).collect(),
        };

        app.write("Cargo.toml", &manifest(variant));
        app.write("Cargo.lock", &repo_file("Cargo.lock"));
        app.write("src/main.rs", main_source(variant));
        if variant == Variant::Discovered {
            app.write("build.rs", BUILD_SCRIPT);
        }
        for &number in &app.numbers {
            app.write(&event_path(number), &event_source(number));
        }
        app.write_list();
        app
    }

    /// Adds function `number`: its event file, and for the hand list its two lines.
    fn add(&mut self, number: usize) {
        self.numbers.push(number);
        self.write(&event_path(number), &event_source(number));
        self.write_list();
    }

    /// Rewrites `src/functions.rs` of the hand list; the discovered app has none.
    fn write_list(&self) {
        if self.variant == Variant::HandList {
            self.write("src/functions.rs", &hand_list(&self.numbers));
        }
    }

    fn write(&self, path: &str, contents: &str) {
        let path = self.root.join(path);
        fs::create_dir_all(path.parent().expect("a file has a parent folder"))
            .expect("the bench folder is writable");
        fs::write(path, contents).expect("the bench folder is writable");
    }

    /// Runs `cargo build` and measures it.
    ///
    /// # Panics
    ///
    /// Panics with Cargo's output when the build fails.
    fn build(&self) -> Sample {
        let cpu_before = children_cpu_time();
        let started = Instant::now();
        let output = Command::new(cargo())
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .args(["build", "--quiet"])
            .output()
            .expect("cargo can be started");
        let wall = started.elapsed();
        let cpu = cpu_before
            .zip(children_cpu_time())
            .map(|(before, after)| after - before);

        assert!(
            output.status.success(),
            "building {} failed:\n{}",
            self.variant.package(),
            String::from_utf8_lossy(&output.stderr)
        );
        Sample { wall, cpu }
    }

    /// Runs the built app and checks that it holds every function added so far.
    ///
    /// # Panics
    ///
    /// Panics when the app reports another number of functions.
    fn check_count(&self) {
        let binary = self.target.join("debug").join(self.variant.package());
        let output = Command::new(&binary)
            .output()
            .expect("the built app can be started");
        let reported = String::from_utf8_lossy(&output.stdout);

        assert_eq!(
            reported.trim(),
            self.numbers.len().to_string(),
            "{} serves another number of functions",
            self.variant.package()
        );
    }
}

const BUILD_SCRIPT: &str = r#"//! Discovers the event files under `features/` and generates the function registry.

fn main() {
    switchyard_codegen::Builder::from_env().run_build_script();
}
"#;

const DISCOVERED_MAIN: &str = r#"//! Prints how many functions codegen discovered.

switchyard_include::include_out_dir!("all_functions.rs");

fn main() {
    println!("{}", REGISTRY.len());
}
"#;

const HAND_LIST_MAIN: &str = r#"//! Prints how many functions the hand-maintained list holds.

mod functions;

fn main() {
    println!("{}", functions::FUNCTIONS.len());
}
"#;

fn main_source(variant: Variant) -> &'static str {
    match variant {
        Variant::Discovered => DISCOVERED_MAIN,
        Variant::HandList => HAND_LIST_MAIN,
    }
}

/// The app's manifest: the runtime and serde, plus the include macro and codegen for the
/// discovered app.
fn manifest(variant: Variant) -> String {
    let mut text = format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\nswitchyard-runtime = {{ path = '{}' }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\n",
        variant.package(),
        repo_path("runtime"),
    );
    if variant == Variant::Discovered {
        text += &format!(
            "switchyard-include = {{ path = '{}' }}\n\n\
             [build-dependencies]\nswitchyard-codegen = {{ path = '{}' }}\n",
            repo_path("codegen/include"),
            repo_path("codegen")
        );
    }
    text
}

fn feature(number: usize) -> String {
    format!("f{:02}", number % FEATURES)
}

fn event_path(number: usize) -> String {
    format!(
        "features/{}/events/event-fn-{number:04}.rs",
        feature(number)
    )
}

fn event_source(number: usize) -> String {
    EVENT_TEMPLATE.replace("NUMBER", &format!("{number:04}"))
}

/// One module declaration of the hand list.
const HAND_LIST_MODULE: &str = "#[path = \"../PATH\"]\nmod MODULE;\n";

/// One entry of the hand list's array.
const HAND_LIST_ENTRY: &str = r#"    FunctionEntry {
        config: &<MODULE::TYPE as Function>::CONFIG,
        feature: "FEATURE",
        source: "PATH",
        module: "MODULE",
        handler: erase::<MODULE::TYPE>,
        on_failure: None,
    },
"#;

/// `src/functions.rs` of the hand list: one module and one entry per function.
fn hand_list(numbers: &[usize]) -> String {
    let mut modules = String::new();
    let mut entries = String::new();
    for &number in numbers {
        let fill = |template: &str| {
            template
                .replace("PATH", &event_path(number))
                .replace(
                    "MODULE",
                    &format!("{}_event_fn_{number:04}", feature(number)),
                )
                .replace("TYPE", &format!("Function{number:04}"))
                .replace("FEATURE", &feature(number))
        };
        modules += &fill(HAND_LIST_MODULE);
        entries += &fill(HAND_LIST_ENTRY);
    }

    format!(
        "//! Every function of the app, listed by hand.\n\n\
         use switchyard_runtime::{{erase, Function, FunctionEntry}};\n\n\
         {modules}\n/// Every function, in the order they were added.\n\
         pub static FUNCTIONS: &[FunctionEntry] = &[\n{entries}];\n"
    )
}

/// The Cargo that runs this benchmark, or the one on `PATH`.
fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

fn repo_path(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    path.to_str()
        .expect("the repository path is UTF-8")
        .to_owned()
}

fn repo_file(name: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
        .expect("the repository file exists")
}

/// What the command line asked for.
struct Options {
    functions: usize,
    reps: usize,
}

impl Options {
    /// Reads `--functions N` and `--reps N`; skips what Cargo adds, such as `--bench`.
    fn from_args() -> Options {
        let mut options = Options {
            functions: 500,
            reps: 5,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--functions" => &mut options.functions,
                "--reps" => &mut options.reps,
                _ => continue,
            };
            *slot = args
                .next()
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("{arg} takes a positive number"));
        }
        assert!(options.reps > 0, "--reps must be at least 1");
        options
    }
}

/// One timed build.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Wall time of `cargo build`.
    wall: Duration,
    /// User and system CPU time of Cargo and everything it ran, where the platform tells.
    cpu: Option<Duration>,
}

/// User plus system CPU time of every finished child process, read from `/proc/self/stat`.
///
/// Under load from other processes the CPU time of a build varies less than its wall time.
/// Returns `None` where `/proc` does not exist.
fn children_cpu_time() -> Option<Duration> {
    // Linux reports these in clock ticks of 1/100 s (USER_HZ) on every architecture.
    const TICKS_PER_SECOND: u64 = 100;

    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    // Fields after the name start at field 3 (state); cutime and cstime are fields 16, 17.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user: u64 = fields.get(13)?.parse().ok()?;
    let system: u64 = fields.get(14)?.parse().ok()?;

    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// Median, min and max of some durations.
struct Summary {
    median: Duration,
    min: Duration,
    max: Duration,
}

impl Summary {
    fn of(samples: &[Duration]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2
        };

        Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn main() {
    let options = Options::from_args();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the benchmark's tmp folder lies in the target folder")
        .join("incremental-bench");
    let target = dir.join("target");

    // Generate both apps and build each once, so the timed builds are incremental.
    let mut apps = [Variant::Discovered, Variant::HandList]
        .map(|variant| App::generate(variant, &dir, &target, options.functions));
    for app in &apps {
        let first = app.build();
        app.check_count();
        println!(
            "{}: first build {}",
            app.variant.label(),
            seconds(first.wall)
        );
    }

    // Add one function per repetition to each app, alternating which goes first.
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    for rep in 0..options.reps {
        let number = options.functions + rep;
        let order = if rep % 2 == 0 { [0, 1] } else { [1, 0] };
        for index in order {
            apps[index].add(number);
            samples[index].push(apps[index].build());
            apps[index].check_count();
        }
    }

    print_table(&options, &apps, &samples);
}

fn print_table(options: &Options, apps: &[App; 2], samples: &[Vec<Sample>; 2]) {
    let wall = samples
        .each_ref()
        .map(|samples| Summary::of(&samples.iter().map(|sample| sample.wall).collect::<Vec<_>>()));
    let cpu = samples.each_ref().map(|samples| {
        let cpu: Option<Vec<Duration>> = samples.iter().map(|sample| sample.cpu).collect();
        cpu.map(|cpu| Summary::of(&cpu))
    });

    println!();
    println!(
        "`cargo build` after adding one event file to an app of {} functions ({} runs each)",
        options.functions, options.reps
    );
    println!();
    println!("| variant | median | min | max | median CPU time |");
    println!("|---|---|---|---|---|");
    for index in 0..2 {
        let cpu_median = cpu[index]
            .as_ref()
            .map_or_else(|| "n/a".to_owned(), |cpu| seconds(cpu.median));
        println!(
            "| {} | {} | {} | {} | {} |",
            apps[index].variant.label(),
            seconds(wall[index].median),
            seconds(wall[index].min),
            seconds(wall[index].max),
            cpu_median
        );
    }

    let ratio = wall[0].median.as_secs_f64() / wall[1].median.as_secs_f64();
    let verdict = if ratio <= 1.10 { "met" } else { "missed" };
    println!();
    println!("ratio of medians, discovered / hand list: {ratio:.3} (target <= 1.10: {verdict})");
    if let [Some(discovered), Some(hand)] = &cpu {
        let ratio = discovered.median.as_secs_f64() / hand.median.as_secs_f64();
        println!("ratio of median CPU times, discovered / hand list: {ratio:.3}");
    }
}
